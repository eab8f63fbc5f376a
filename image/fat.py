"""Read and write files on the FAT boot partition in place inside the image, with mtools (no mount)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from image.errors import UnknownBaseImageError
from image.tools import run_tool


class FatPartition:
    """The FAT filesystem that starts ``offset`` bytes into ``image``."""

    def __init__(self, image: Path, offset: int) -> None:
        self.spec = f"{image}@@{offset}"

    def check(self) -> None:
        """Fail clearly when the partition does not hold a FAT filesystem mtools can read."""
        result = run_tool("mdir", ["-b", "-i", self.spec, "::/"], check=False)
        if result.returncode != 0:
            reason = result.stderr.decode(errors="replace").strip()
            raise UnknownBaseImageError(f"boot partition is not a readable FAT filesystem: {reason}")

    def read(self, path: str) -> bytes | None:
        """The file's bytes, or None when it does not exist."""
        result = run_tool("mtype", ["-i", self.spec, f"::{path}"], check=False)
        return result.stdout if result.returncode == 0 else None

    def write(self, path: str, content: bytes, mtime: int) -> None:
        """Create or replace ``path`` (in the root folder or an existing one); its time is ``mtime``."""
        with tempfile.TemporaryDirectory(prefix="perch-fat-") as folder:
            source = Path(folder) / "file"
            source.write_bytes(content)
            os.utime(source, (mtime, mtime))
            run_tool("mcopy", ["-o", "-m", "-i", self.spec, str(source), f"::{path}"])
