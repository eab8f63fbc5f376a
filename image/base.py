"""What the base image is: Raspberry Pi OS release, CPU architecture, Python version, and its PARTUUIDs."""

from __future__ import annotations

import re
from dataclasses import dataclass

from image.errors import UnknownBaseImageError
from image.ext4 import Ext4Partition
from image.fat import FatPartition
from image.partitions import PartitionTable

MULTIARCH = {"aarch64-linux-gnu": "aarch64", "x86_64-linux-gnu": "x86_64", "arm-linux-gnueabihf": "armv7l"}
FIRST_CLOUD_INIT_RELEASE = (
    13  # Trixie: Raspberry Pi OS reads cloud-init NoCloud files from the boot partition
)
OLDEST_SUPPORTED_RELEASE = 12  # Bookworm: userconf.txt + ssh + firstrun.sh


@dataclass(frozen=True)
class BaseImage:
    codename: str
    release: int
    arch: str
    python_version: str

    @property
    def uses_cloud_init(self) -> bool:
        return self.release >= FIRST_CLOUD_INIT_RELEASE


def parse_os_release(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip().strip('"')
    return values


def inspect_base(root: Ext4Partition) -> BaseImage:
    os_release = root.read("/usr/lib/os-release") or root.read("/etc/os-release")
    if not os_release:
        raise UnknownBaseImageError("root partition has no /usr/lib/os-release: not a Raspberry Pi OS image")
    values = parse_os_release(os_release.decode(errors="replace"))
    if "debian" not in (values.get("ID", "") + " " + values.get("ID_LIKE", "")):
        raise UnknownBaseImageError(
            f"base image runs {values.get('PRETTY_NAME', '?')}; expected Raspberry Pi OS"
        )
    release = int(values.get("VERSION_ID", "0") or 0)
    if release < OLDEST_SUPPORTED_RELEASE:
        raise UnknownBaseImageError(
            f"base image is {values.get('PRETTY_NAME', '?')}; Perch needs Bookworm (12) or newer"
        )
    library = root.list_directory("/usr/lib") or {}
    arches = [MULTIARCH[name] for name in sorted(library) if name in MULTIARCH]
    pythons = sorted(
        (name.removeprefix("python") for name in library if re.fullmatch(r"python3\.\d+", name)),
        key=lambda version: int(version.split(".")[1]),
    )
    if not arches or not pythons:
        raise UnknownBaseImageError(
            "root partition has no /usr/lib/<arch>-linux-gnu or python3: not a usable root"
        )
    return BaseImage(values.get("VERSION_CODENAME", "?"), release, arches[0], pythons[-1])


def check_partuuids(table: PartitionTable, boot: FatPartition, root: Ext4Partition) -> None:
    """cmdline.txt and /etc/fstab must name this disk's PARTUUIDs, which the build keeps unchanged."""
    cmdline = boot.read("cmdline.txt")
    if cmdline is None or boot.read("config.txt") is None:
        raise UnknownBaseImageError(
            "boot partition has no cmdline.txt/config.txt: not a Raspberry Pi OS image"
        )
    expected_root = f"root=PARTUUID={table.partuuid(table.root)}"
    if expected_root not in cmdline.decode(errors="replace").split():
        raise UnknownBaseImageError(
            f"cmdline.txt does not contain {expected_root}: base image is inconsistent"
        )
    fstab = (root.read("/etc/fstab") or b"").decode(errors="replace")
    if f"PARTUUID={table.partuuid(table.root)}" not in fstab:
        raise UnknownBaseImageError("/etc/fstab does not mount the root partition by PARTUUID")
