"""The MBR partition table of a Raspberry Pi OS image file, read with ``sfdisk --json`` (no root, no loop).

Raspberry Pi OS Lite has two primary partitions: a FAT32 ``bootfs`` (type 0x0c) and an ext4 ``rootfs``
(type 0x83). Their PARTUUIDs are the disk identifier plus the partition number, ``1234abcd-02``, and
``cmdline.txt`` and ``/etc/fstab`` refer to them, so the builder never changes the table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from image.errors import UnknownBaseImageError
from image.tools import run_tool

FAT_TYPES = {"b", "c", "e"}
LINUX_TYPE = "83"


@dataclass(frozen=True)
class Partition:
    number: int
    start_sector: int
    sectors: int
    type_code: str
    sector_size: int = 512

    @property
    def offset(self) -> int:
        return self.start_sector * self.sector_size

    @property
    def size(self) -> int:
        return self.sectors * self.sector_size


@dataclass(frozen=True)
class PartitionTable:
    disk_id: str  # eight lowercase hex digits, as in PARTUUID=1234abcd-02
    partitions: tuple[Partition, ...]

    def partuuid(self, partition: Partition) -> str:
        return f"{self.disk_id}-{partition.number:02d}"

    @property
    def boot(self) -> Partition:
        return self.partitions[0]

    @property
    def root(self) -> Partition:
        return self.partitions[1]


def read_partition_table(image: Path) -> PartitionTable:
    """Read and check the table: an MBR whose first two partitions are FAT and Linux, inside the file."""
    result = run_tool("sfdisk", ["--json", str(image)], check=False)
    if result.returncode != 0 or not result.stdout.strip():
        raise UnknownBaseImageError(
            f"{image}: no partition table found; expected a Raspberry Pi OS Lite image (.img or .img.xz)"
        )
    table = json.loads(result.stdout)["partitiontable"]
    if table.get("label") != "dos":
        raise UnknownBaseImageError(
            f"{image}: partition table is {table.get('label')!r}, Raspberry Pi OS images use an MBR ('dos')"
        )
    sector_size = int(table.get("sectorsize", 512))
    partitions = tuple(
        Partition(
            number=index + 1,
            start_sector=int(entry["start"]),
            sectors=int(entry["size"]),
            type_code=entry["type"].lower(),
            sector_size=sector_size,
        )
        for index, entry in enumerate(table.get("partitions", []))
    )
    _check_layout(image, partitions)
    return PartitionTable(disk_id=table["id"].removeprefix("0x").lower().zfill(8), partitions=partitions)


def _check_layout(image: Path, partitions: tuple[Partition, ...]) -> None:
    if len(partitions) < 2:
        raise UnknownBaseImageError(f"{image}: expected a boot and a root partition, found {len(partitions)}")
    boot, root = partitions[0], partitions[1]
    if boot.type_code not in FAT_TYPES or root.type_code != LINUX_TYPE:
        raise UnknownBaseImageError(
            f"{image}: partitions are of types {boot.type_code}/{root.type_code}; "
            "expected FAT32 boot (c) and Linux root (83) like Raspberry Pi OS Lite"
        )
    file_size = image.stat().st_size
    for partition in (boot, root):
        if partition.offset + partition.size > file_size:
            raise UnknownBaseImageError(
                f"{image}: partition {partition.number} ends past the end of the file "
                f"({partition.offset + partition.size} > {file_size} bytes): truncated download?"
            )
