"""``perch image flash IMAGE DEVICE``: write an image to an SD card safely, then verify it.

Refuses the disk the system runs from (always), mounted disks (always), partitions (give the whole disk)
and non-removable disks (unless ``--force``). Asks before erasing unless ``--yes``. Writes with a progress
bar, then reads the written range back and compares SHA-256 digests. A regular file or a loop device can
stand in for an SD card.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from image import disks
from image.errors import BadInputError, FlashRefusedError, ImageError
from image.progress import Progress
from image.tools import find_tool

CHUNK = 4 * 1024 * 1024
BLKFLSBUF = 0x1261  # ioctl: drop the kernel's buffer cache for a block device, so read-back hits the card
DECOMPRESSORS = {".xz": "xz", ".zst": "zstd", ".zstd": "zstd"}


@dataclass(frozen=True)
class FlashRequest:
    image: Path
    device: Path
    assume_yes: bool = False
    dry_run: bool = False
    force: bool = False


@dataclass(frozen=True)
class Target:
    path: Path
    disk: disks.Disk | None  # None: a regular file standing in for a card

    def describe(self) -> str:
        if self.disk is None:
            return f"{self.path} (regular file)"
        kind = (
            "removable" if self.disk.is_removable else ("loop device" if self.disk.is_loop else "FIXED DISK")
        )
        model = f"{self.disk.model}, " if self.disk.model else ""
        return f"{self.path} ({model}{self.disk.size / 1e9:.1f} GB, {kind})"


def check_target(request: FlashRequest) -> Target:
    """Decide whether writing to ``request.device`` is allowed; raise FlashRefusedError if not."""
    device = request.device
    if not device.exists():
        if str(device).startswith("/dev/"):
            raise BadInputError(f"{device}: no such device (is the card reader plugged in?)")
        return Target(device, None)
    mode = device.stat().st_mode
    if stat.S_ISREG(mode):
        return Target(device, None)
    if not stat.S_ISBLK(mode):
        raise FlashRefusedError(f"{device} is neither a block device nor a regular file")
    name = disks.kernel_name(device)
    if name not in disks.whole_disks(name):
        raise FlashRefusedError(f"{device} is a partition; give the whole disk, e.g. /dev/{_parent(name)}")
    if name in disks.system_disks():
        raise FlashRefusedError(f"{device} holds the running system (/ or /boot); never writing to it")
    users = disks.disk_users(name)
    if users:
        raise FlashRefusedError(f"{device} is in use: {', '.join(users)}; unmount it first")
    disk = disks.describe(name)
    if not (disk.is_removable or disk.is_loop or request.force):
        raise FlashRefusedError(f"{device} is not a removable disk; if you are sure, add --force")
    return Target(device, disk)


def _parent(name: str) -> str:
    return next(iter(disks.whole_disks(name)))


@contextmanager
def image_stream(image: Path) -> Iterator[BinaryIO]:
    """The image's bytes, decompressed on the fly for .xz and .zst."""
    if not image.is_file():
        raise BadInputError(f"{image}: image not found")
    tool = DECOMPRESSORS.get(image.suffix)
    if tool is None:
        with open(image, "rb") as stream:
            yield stream
        return
    with subprocess.Popen([find_tool(tool), "-dc", str(image)], stdout=subprocess.PIPE) as process:
        assert process.stdout is not None
        yield process.stdout
    if process.returncode != 0:
        raise ImageError(f"{image}: {tool} could not decompress it")


def image_size(image: Path) -> int | None:
    """Uncompressed size when cheaply known (plain images); None for compressed ones."""
    return image.stat().st_size if image.suffix not in DECOMPRESSORS else None


def _write(stream: BinaryIO, target: Target, total: int | None, progress: Progress) -> tuple[int, str]:
    """Copy the image to the target, hashing what was written; returns (bytes, sha256)."""
    digest, written = hashlib.sha256(), 0
    flags = os.O_WRONLY | (os.O_CREAT | os.O_TRUNC if target.disk is None else 0)
    descriptor = os.open(target.path, flags, 0o644)
    try:
        while chunk := stream.read(CHUNK):
            if target.disk is not None and written + len(chunk) > target.disk.size:
                raise FlashRefusedError(f"the image is larger than {target.describe()}")
            view = memoryview(chunk)
            while view:
                view = view[os.write(descriptor, view) :]
            digest.update(chunk)
            written += len(chunk)
            progress.advance(written, total)
        os.fsync(descriptor)
        if target.disk is not None:
            fcntl.ioctl(descriptor, BLKFLSBUF, 0)
        os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(descriptor)
    return written, digest.hexdigest()


def _read_back(target: Target, length: int, progress: Progress) -> str:
    digest, done = hashlib.sha256(), 0
    with open(target.path, "rb", buffering=0) as stream:
        while done < length:
            chunk = stream.read(min(CHUNK, length - done))
            if not chunk:
                break
            digest.update(chunk)
            done += len(chunk)
            progress.advance(done, length)
    return digest.hexdigest()


def _confirm(target: Target, ask: Callable[[str], str]) -> None:
    answer = ask(f"This ERASES everything on {target.describe()}. Type 'yes' to continue: ")
    if answer.strip().lower() != "yes":
        raise FlashRefusedError("not confirmed; nothing was written")


def _ask_terminal(prompt: str) -> str:
    if not sys.stdin.isatty():
        raise FlashRefusedError("no terminal to ask for confirmation; add --yes to write without asking")
    return input(prompt)


def flash_image(request: FlashRequest, ask: Callable[[str], str] = _ask_terminal) -> str:
    """Check, confirm, write, verify. Returns a one-paragraph report."""
    target = check_target(request)
    size = image_size(request.image) if request.image.is_file() else None
    if size is not None and target.disk is not None and size > target.disk.size:
        raise FlashRefusedError(f"{request.image} ({size / 1e9:.2f} GB) does not fit on {target.describe()}")
    if not request.image.is_file():
        raise BadInputError(f"{request.image}: image not found")
    if request.dry_run:
        return f"dry run: would write {request.image} to {target.describe()}, then verify by SHA-256"
    if not request.assume_yes:
        _confirm(target, ask)
    progress = Progress(total_steps=2)
    progress.step(f"Writing {request.image} to {target.path}")
    with image_stream(request.image) as stream:
        written, written_digest = _write(stream, target, size, progress)
    progress.step("Verifying: reading back and comparing SHA-256")
    read_digest = _read_back(target, written, progress)
    progress.finish()
    if read_digest != written_digest:
        raise ImageError(
            f"verification failed: {target.path} returned different data (sha256 {read_digest[:16]}... "
            f"instead of {written_digest[:16]}...); the card may be faulty or fake"
        )
    return f"wrote {written} bytes to {target.describe()}; verified, sha256 {written_digest}"
