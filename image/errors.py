"""Errors of the image component; each says whose fault it is and maps to an exit code."""

from __future__ import annotations


class ImageError(Exception):
    """Something went wrong while building or flashing; exit code 1."""

    exit_code = 1


class BadInputError(ImageError, ValueError):
    """The user's input (base image, config, device) is wrong; exit code 2."""

    exit_code = 2


class UnknownBaseImageError(BadInputError):
    """The base image is corrupt or not laid out like Raspberry Pi OS Lite."""


class BadImageConfigError(BadInputError):
    """The `image:` settings are invalid; the message names the file and the setting."""


class DiskFullError(ImageError):
    """A partition of the image (or the output's filesystem) has no room for the files."""


class ToolMissingError(ImageError):
    """A command-line tool the builder drives is not installed."""


class FlashRefusedError(BadInputError):
    """`perch image flash` refuses the target device (system disk, mounted, not removable)."""
