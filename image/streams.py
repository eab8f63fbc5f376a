"""Copy, decompress and compress whole image files with progress, keeping runs of zeros sparse."""

from __future__ import annotations

import errno
import subprocess
from pathlib import Path
from typing import BinaryIO

from image.errors import DiskFullError, ImageError, UnknownBaseImageError
from image.progress import Progress
from image.tools import find_tool

CHUNK = 4 * 1024 * 1024
DECOMPRESSORS = {".xz": "xz", ".zst": "zstd", ".zstd": "zstd"}
COMPRESSORS = {"xz": ("xz", ["-T0", "-6", "-c"], ".xz"), "zstd": ("zstd", ["-T0", "-q", "-c", "-"], ".zst")}


def _copy(source: BinaryIO, target: BinaryIO, total: int | None, progress: Progress) -> int:
    """Copy until end of input; all-zero chunks become holes. Returns the byte count."""
    done = 0
    zeros = bytes(CHUNK)
    while chunk := source.read(CHUNK):
        if chunk == zeros[: len(chunk)]:
            target.seek(len(chunk), 1)
        else:
            target.write(chunk)
        done += len(chunk)
        progress.advance(done, total)
    target.truncate(done)
    return done


def unpack_base(base: Path, work: Path, progress: Progress) -> None:
    """Copy (or decompress ``.xz``/``.zst``) the base image to the working file."""
    if not base.is_file():
        raise UnknownBaseImageError(f"{base}: base image not found")
    tool = DECOMPRESSORS.get(base.suffix)
    try:
        with open(work, "wb") as target:
            if tool is None:
                with open(base, "rb") as source:
                    _copy(source, target, base.stat().st_size, progress)
                return
            with subprocess.Popen([find_tool(tool), "-dc", str(base)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE) as process:  # fmt: skip
                assert process.stdout is not None
                _copy(process.stdout, target, None, progress)
                error = process.stderr.read().decode(errors="replace") if process.stderr else ""
            if process.returncode != 0:
                raise UnknownBaseImageError(f"{base}: cannot decompress ({tool}): {error.strip()}")
    except OSError as problem:
        if problem.errno == errno.ENOSPC:
            raise DiskFullError(f"no space left for the image next to {work}") from problem
        raise


def pack_output(work: Path, out: Path, compression: str | None, progress: Progress) -> None:
    """Move the finished image to ``out``, compressed with zstd or xz when asked."""
    if compression is None:
        work.replace(out)
        return
    tool, arguments, _ = COMPRESSORS[compression]
    partial = out.with_name(out.name + ".partial")
    with open(work, "rb") as source, open(partial, "wb") as target:
        process = subprocess.Popen([find_tool(tool), *arguments], stdin=subprocess.PIPE, stdout=target,
                                   stderr=subprocess.PIPE)  # fmt: skip
        assert process.stdin is not None
        total, done = work.stat().st_size, 0
        try:
            while chunk := source.read(CHUNK):
                process.stdin.write(chunk)
                done += len(chunk)
                progress.advance(done, total)
        finally:
            process.stdin.close()
        error = process.stderr.read().decode(errors="replace") if process.stderr else ""
        if process.wait() != 0:
            partial.unlink(missing_ok=True)
            raise ImageError(f"{tool} failed: {error.strip()}")
    partial.replace(out)
    work.unlink()


def compression_for(out: Path, requested: str | None) -> str | None:
    """``--compress`` wins; otherwise an output name ending in .xz or .zst chooses."""
    if requested is not None:
        return requested
    return {".xz": "xz", ".zst": "zstd", ".zstd": "zstd"}.get(out.suffix)
