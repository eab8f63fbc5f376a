"""Apply a build plan (image.steps) to the partitions: the only code that writes into the image."""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePosixPath

from image.errors import DiskFullError, ImageError
from image.ext4 import DIRECTORY_TYPE, FILE_TYPE, Entry, Ext4Partition
from image.fat import FatPartition
from image.steps import PlaceFile, PlaceLink, SetLine

SLACK_BYTES_PER_FILE = 8192  # inode tables, directory blocks, extent blocks: a generous estimate


def set_line(text: str, line: str, key: str) -> str:
    """``text`` with ``line`` present: replaces a line (or ``#`` comment) starting with ``key``, else appends.

    For ``config.txt``, an appended line lands after ``[all]`` so no ``[pi4]``-style filter applies to it.
    """
    lines = text.splitlines()
    for index, existing in enumerate(lines):
        if existing.lstrip("#").strip().startswith(key):
            lines[index] = line
            return "\n".join(lines) + "\n"
    sections = [existing.strip() for existing in lines if existing.strip().startswith("[")]
    if sections and sections[-1] != "[all]":
        lines.append("[all]")
    lines.append(line)
    return "\n".join(lines) + "\n"


def add_kernel_arguments(cmdline: str, arguments: list[str]) -> str:
    """``cmdline.txt`` is one line; an argument with the same name (``ds=``, ``systemd.run=``) is replaced."""
    words = cmdline.split()
    for argument in arguments:
        name = argument.split("=", 1)[0] + "="
        words = [word for word in words if not word.startswith(name) and word != argument]
        words.append(argument)
    return " ".join(words) + "\n"


def apply_boot(
    fat: FatPartition, items: list[PlaceFile | SetLine], kernel_arguments: list[str], epoch: int
) -> None:
    for item in items:
        if isinstance(item, SetLine):
            current = (fat.read(item.path) or b"").decode()
            fat.write(item.path, set_line(current, item.line, item.key).encode(), epoch)
        else:
            fat.write(item.path, item.content, epoch)
    if kernel_arguments:
        cmdline = fat.read("cmdline.txt")
        if cmdline is None:
            raise ImageError("cmdline.txt vanished from the boot partition")
        fat.write("cmdline.txt", add_kernel_arguments(cmdline.decode(), kernel_arguments).encode(), epoch)


class _RootScript:
    """Turns placed files and links into one debugfs script, creating missing folders on the way."""

    def __init__(self, ext4: Ext4Partition, sources: Path) -> None:
        self.ext4, self.sources = ext4, sources
        self.listings: dict[str, dict[str, Entry] | None] = {}
        self.commands: list[str] = []
        self.touched_directories: set[str] = set()

    def entry(self, path: str) -> Entry | None:
        parent, name = str(PurePosixPath(path).parent), PurePosixPath(path).name
        if parent not in self.listings:
            self.listings[parent] = self.ext4.list_directory(parent)
        return (self.listings[parent] or {}).get(name)

    def stamp(self, path: str, mode: int, uid: int, gid: int) -> None:
        self.commands += [f"sif {path} mode 0{mode:o}", f"sif {path} uid {uid}", f"sif {path} gid {gid}"]

    def ensure_directory(self, path: str) -> None:
        if path == "/" or path in self.touched_directories:
            return
        self.ensure_directory(str(PurePosixPath(path).parent))
        self.touched_directories.add(path)
        existing = self.entry(path)
        if existing is not None and not existing.is_directory:
            raise ImageError(f"{path} exists in the root partition and is not a folder")
        if existing is None:
            self.commands.append(f"mkdir {path}")
            self.listings[path] = {}
            self.stamp(path, DIRECTORY_TYPE | 0o755, 0, 0)

    def replace(self, path: str) -> None:
        self.ensure_directory(str(PurePosixPath(path).parent))
        existing = self.entry(path)
        if existing is not None and existing.is_directory:
            raise ImageError(f"{path} is a folder in the root partition; expected a file")
        if existing is not None:
            self.commands.append(f"rm {path}")

    def place_file(self, item: PlaceFile, index: int) -> None:
        source = self.sources / f"{index:05d}"
        source.write_bytes(item.content)
        self.replace(item.path)
        self.commands.append(f"write {source} {item.path}")
        self.stamp(item.path, FILE_TYPE | item.mode, item.uid, item.gid)

    def place_link(self, item: PlaceLink) -> None:
        self.replace(item.path)
        self.commands.append(f"symlink {item.path} {item.target}")


def _resolve_lines(
    ext4: Ext4Partition, items: list[PlaceFile | PlaceLink | SetLine]
) -> list[PlaceFile | PlaceLink]:
    """Turn SetLine items into whole files, keeping each file's existing mode and owner."""
    resolved: list[PlaceFile | PlaceLink] = []
    pending: dict[str, PlaceFile] = {}
    for item in items:
        if not isinstance(item, SetLine):
            resolved.append(item)
            continue
        base = pending.get(item.path)
        if base is None:
            content = ext4.read(item.path) or b""
            listing = ext4.list_directory(str(PurePosixPath(item.path).parent)) or {}
            entry = listing.get(PurePosixPath(item.path).name)
            mode, uid, gid = (entry.mode & 0o7777, entry.uid, entry.gid) if entry else (0o644, 0, 0)
            base = PlaceFile(item.path, content, mode, uid, gid)
        updated = set_line(base.content.decode(), item.line, item.key).encode()
        pending[item.path] = PlaceFile(item.path, updated, base.mode, base.uid, base.gid)
    return resolved + list(pending.values())


def apply_root(ext4: Ext4Partition, items: list[PlaceFile | PlaceLink | SetLine]) -> None:
    """Write files and links into the root partition (times come from the partition's fixed clock)."""
    concrete = _resolve_lines(ext4, items)
    files = [item for item in concrete if isinstance(item, PlaceFile)]
    needed_bytes = sum(len(item.content) + SLACK_BYTES_PER_FILE for item in files)
    free_bytes, free_inodes = ext4.free_space()
    if needed_bytes > free_bytes or len(concrete) + 16 > free_inodes:
        raise DiskFullError(
            f"the root partition has {free_bytes // 1024} KiB and {free_inodes} inodes free; "
            f"Perch needs about {needed_bytes // 1024} KiB and {len(concrete)} inodes"
        )
    with tempfile.TemporaryDirectory(prefix="perch-root-") as folder:
        script = _RootScript(ext4, Path(folder))
        for index, item in enumerate(concrete):
            if isinstance(item, PlaceFile):
                script.place_file(item, index)
            else:
                script.place_link(item)
        ext4.run_script(script.commands)
