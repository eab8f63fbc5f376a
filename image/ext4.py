"""Read and edit the ext4 root partition in place inside the image with debugfs (no mount, no root).

e2fsprogs open a filesystem that starts inside a file with ``image?offset=N``. Edits are collected as a
debugfs script (``rm``/``write``/``mkdir``/``symlink``/``set_inode_field``) so one process applies them
all, in a fixed order, with fixed owners and modes, and with the clock fixed at ``SOURCE_DATE_EPOCH``: the
same inputs give the same bytes.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from image.errors import DiskFullError, ImageError, UnknownBaseImageError
from image.tools import run_tool

FILE_TYPE = 0o100000
DIRECTORY_TYPE = 0o040000
SYMLINK_TYPE = 0o120000
SAFE_PATH = re.compile(r"^/[A-Za-z0-9._@+:/-]*$")
FULL_DISK_MESSAGES = ("Could not allocate", "No free space", "No space left")


@dataclass(frozen=True)
class Entry:
    """One directory entry as ``ls -p`` shows it."""

    name: str
    mode: int
    uid: int
    gid: int

    @property
    def is_directory(self) -> bool:
        return self.mode & 0o170000 == DIRECTORY_TYPE


class Ext4Partition:
    """The ext4 filesystem that starts ``offset`` bytes into ``image``."""

    def __init__(self, image: Path, offset: int, epoch: int = 0) -> None:
        self.spec = f"{image}?offset={offset}"
        self.epoch = epoch

    def _debugfs(self, arguments: list[str], *, writable: bool = False) -> tuple[bytes, list[str]]:
        flags = ["-w"] if writable else []
        # e2fsprogs take "now" from E2FSPROGS_FAKE_TIME: every inode and superblock time becomes the epoch.
        fake_time = {"E2FSPROGS_FAKE_TIME": str(self.epoch)} if writable and self.epoch else {}
        result = run_tool(
            "debugfs", [*flags, *arguments, self.spec], check=False, extra_environment=fake_time
        )
        errors = [
            line
            for line in result.stderr.decode(errors="replace").splitlines()
            if line.strip() and not line.startswith("debugfs ")
        ]
        if result.returncode != 0 and not errors:
            errors = [f"debugfs exited with {result.returncode}"]
        return result.stdout, errors

    def check(self) -> None:
        output, errors = self._debugfs(["-R", "stats"])
        if errors or b"Filesystem magic number" not in output:
            raise UnknownBaseImageError(f"root partition is not a readable ext4 filesystem: {errors}")

    def free_space(self) -> tuple[int, int]:
        """(free bytes, free inodes) from the superblock."""
        output, _ = self._debugfs(["-R", "stats"])
        text = output.decode(errors="replace")
        fields = dict(re.findall(r"^([A-Za-z ]+):\s+(\d+)\s*$", text, flags=re.MULTILINE))
        return int(fields["Free blocks"]) * int(fields["Block size"]), int(fields["Free inodes"])

    def check_consistency(self) -> None:
        """``e2fsck -fn``: a read-only full check; the build fails rather than ship a damaged filesystem."""
        result = run_tool("e2fsck", ["-fn", self.spec], check=False)
        if result.returncode != 0:
            report = result.stdout.decode(errors="replace").strip()[-1500:]
            raise ImageError(f"the root partition fails e2fsck after editing: {report}")

    def read(self, path: str) -> bytes | None:
        """The file's bytes, or None when it does not exist."""
        output, errors = self._debugfs(["-R", f"cat {_checked(path)}"])
        return None if errors else output

    def list_directory(self, path: str) -> dict[str, Entry] | None:
        """Entries of directory ``path`` (without . and ..), or None when it does not exist."""
        output, errors = self._debugfs(["-R", f"ls -p {_checked(path)}"])
        if errors:
            return None
        entries = {}
        for line in output.decode(errors="replace").splitlines():
            parts = line.split("/")
            if len(parts) >= 6 and parts[5] not in (".", ".."):
                entries[parts[5]] = Entry(parts[5], int(parts[2], 8), int(parts[3]), int(parts[4]))
        return entries

    def run_script(self, commands: list[str]) -> None:
        """Apply debugfs commands in one writable session; any error message fails the build."""
        with tempfile.NamedTemporaryFile("w", prefix="perch-debugfs-", suffix=".txt") as script:
            script.write("\n".join(commands) + "\n")
            script.flush()
            _, errors = self._debugfs(["-f", script.name], writable=True)
        if any(marker in error for error in errors for marker in FULL_DISK_MESSAGES):
            raise DiskFullError(f"the root partition is full: {errors[0]}")
        if errors:
            raise ImageError("editing the root partition failed: " + "; ".join(errors[:5]))


def _checked(path: str) -> str:
    """Paths reach debugfs's command parser unquoted, so only plain characters are allowed."""
    if not SAFE_PATH.match(path) or ".." in PurePosixPath(path).parts:
        raise ImageError(f"refusing unusual path in image: {path!r}")
    return path
