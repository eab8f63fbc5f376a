"""What a block device is, from /sys/class/block and /proc/self/mountinfo: whole disk or partition,
removable or not, mounted or not, and whether the running system lives on it.

Paths are parameters so tests can point them at a fake sysfs tree.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

SYS_BLOCK = Path("/sys/class/block")
MOUNTINFO = Path("/proc/self/mountinfo")
SWAPS = Path("/proc/swaps")
SYSTEM_MOUNT_POINTS = ("/", "/boot", "/boot/firmware", "/boot/efi", "/usr", "/var", "/home")


@dataclass(frozen=True)
class Disk:
    name: str  # kernel name of the whole disk: sdb, mmcblk0, loop3
    size: int  # bytes
    is_removable: bool
    model: str

    @property
    def is_loop(self) -> bool:
        return self.name.startswith("loop")


def _read(path: Path, default: str = "") -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return default


def kernel_name(device: Path, sys_block: Path = SYS_BLOCK) -> str:
    """``/dev/sdb`` -> ``sdb``, by device number (works for symlinks like /dev/disk/by-id/...)."""
    numbers = os.stat(device).st_rdev
    wanted = f"{os.major(numbers)}:{os.minor(numbers)}"
    for entry in sorted(sys_block.iterdir()):
        if _read(entry / "dev") == wanted:
            return entry.name
    raise FileNotFoundError(f"{device} ({wanted}) is not in {sys_block}")


def whole_disks(name: str, sys_block: Path = SYS_BLOCK) -> set[str]:
    """The whole disks under block device ``name``: a partition's parent, a device-mapper's slaves."""
    entry = sys_block / name
    if (entry / "partition").exists():
        return whole_disks(entry.resolve().parent.name, sys_block)
    slaves = sorted((entry / "slaves").iterdir()) if (entry / "slaves").is_dir() else []
    if slaves:
        return set().union(*(whole_disks(slave.name, sys_block) for slave in slaves))
    return {name}


def describe(name: str, sys_block: Path = SYS_BLOCK) -> Disk:
    entry = sys_block / name
    removable = _read(entry / "removable", "0") == "1"
    model = " ".join(filter(None, (_read(entry / "device/vendor"), _read(entry / "device/model"))))
    if name.startswith("mmcblk") and _read(entry / "device/type") == "SD":
        removable = True  # built-in SD readers report removable=0, yet hold the card
    return Disk(name, int(_read(entry / "size", "0")) * 512, removable, model or _read(entry / "device/name"))


def _numbers_to_names(sys_block: Path) -> dict[str, str]:
    return {_read(entry / "dev"): entry.name for entry in sys_block.iterdir()}


def mounted_devices(mountinfo: Path = MOUNTINFO, sys_block: Path = SYS_BLOCK) -> dict[str, list[str]]:
    """Block device name -> mount points, for every mounted block device."""
    names = _numbers_to_names(sys_block)
    mounts: dict[str, list[str]] = {}
    for line in _read(mountinfo).splitlines():
        fields = line.split()
        if len(fields) > 4 and fields[2] in names:
            mounts.setdefault(names[fields[2]], []).append(fields[4])
    return mounts


def system_disks(mountinfo: Path = MOUNTINFO, sys_block: Path = SYS_BLOCK) -> set[str]:
    """Whole disks holding /, /boot, /usr, ...: flashing one of them would destroy the running system."""
    disks: set[str] = set()
    for device, points in mounted_devices(mountinfo, sys_block).items():
        if any(point in SYSTEM_MOUNT_POINTS for point in points):
            disks |= whole_disks(device, sys_block)
    return disks


def disk_users(disk: str, mountinfo: Path = MOUNTINFO, sys_block: Path = SYS_BLOCK) -> list[str]:
    """Mount points (and swap) that use ``disk`` or any partition or device built on it."""
    users = []
    for device, points in mounted_devices(mountinfo, sys_block).items():
        if disk in whole_disks(device, sys_block):
            users += [f"/dev/{device} on {point}" for point in points]
    for line in _read(SWAPS).splitlines()[1:]:
        swap = line.split()[0]
        is_block = swap.startswith("/dev/") and Path(swap).exists() and stat.S_ISBLK(os.stat(swap).st_mode)
        if is_block and disk in whole_disks(kernel_name(Path(swap), sys_block), sys_block):
            users.append(f"{swap} as swap")
    return users
