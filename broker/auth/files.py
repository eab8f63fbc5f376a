"""Replacing files safely: password files and TLS keys are never half-written or exposed."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

PRIVATE = 0o600
PRIVATE_GROUP_READABLE = 0o640
PUBLIC = 0o644


def write_atomically(target: Path, data: bytes, mode: int) -> None:
    """Replace ``target`` with ``data``: readers see the old file or the new one, never a mix.

    The new file keeps the owner and group of the file it replaces (when we may set them), so running
    ``perch passwd`` as root does not lock out a broker running as ``perch``. A ``PRIVATE`` file stays
    group-readable (0640) if the one it replaces was, and is never readable by others.
    """
    previous = _status(target)
    if previous is not None and mode == PRIVATE and previous.st_mode & stat.S_IRGRP:
        mode = PRIVATE_GROUP_READABLE
    folder = target.parent if str(target.parent) else Path(".")
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        os.fchmod(descriptor, mode)
        if previous is not None:
            with contextlib.suppress(PermissionError):
                os.fchown(descriptor, previous.st_uid, previous.st_gid)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _sync_folder(folder)


def _status(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except FileNotFoundError:
        return None


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (a power cut right after must not bring the old file back)."""
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
