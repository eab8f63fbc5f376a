"""Disk classification from a fake /sys/class/block tree and mountinfo (no real devices involved)."""

from __future__ import annotations

from pathlib import Path

import pytest

from image.disks import describe, disk_users, system_disks, whole_disks


@pytest.fixture
def sys_block(tmp_path: Path) -> Path:
    """sda (fixed; root on sda2), sdb (USB card reader, removable, sdb1 mounted on /media/card),
    mmcblk0 (built-in SD slot reporting removable=0), dm-0 (LVM volume on sda3, mounted on /home)."""
    devices = tmp_path / "devices"
    block = tmp_path / "class-block"
    block.mkdir()

    def disk(name: str, number: str, removable: str = "0", size: int = 62_333_952, kind: str = "") -> Path:
        folder = devices / name
        (folder / "device").mkdir(parents=True)
        (folder / "dev").write_text(f"{number}\n")
        (folder / "removable").write_text(f"{removable}\n")
        (folder / "size").write_text(f"{size}\n")
        if kind:
            (folder / "device/type").write_text(f"{kind}\n")
        (block / name).symlink_to(folder)
        return folder

    def partition(parent: Path, name: str, number: str) -> None:
        folder = parent / name
        folder.mkdir()
        (folder / "dev").write_text(f"{number}\n")
        (folder / "partition").write_text("1\n")
        (block / name).symlink_to(folder)

    sda = disk("sda", "8:0")
    for index in (1, 2, 3):
        partition(sda, f"sda{index}", f"8:{index}")
    sdb = disk("sdb", "8:16", removable="1")
    (sdb / "device/vendor").write_text("Generic\n")
    (sdb / "device/model").write_text("SD Reader\n")
    partition(sdb, "sdb1", "8:17")
    disk("mmcblk0", "179:0", kind="SD")
    dm = disk("dm-0", "254:0")
    (dm / "slaves").mkdir()
    (dm / "slaves/sda3").symlink_to(sda / "sda3")
    return block


@pytest.fixture
def mountinfo(tmp_path: Path) -> Path:
    path = tmp_path / "mountinfo"
    path.write_text(
        "22 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw\n"
        "23 22 8:1 / /boot/efi rw shared:2 - vfat /dev/sda1 rw\n"
        "24 22 254:0 / /home rw shared:3 - ext4 /dev/mapper/vg-home rw\n"
        "25 22 8:17 / /media/card rw shared:4 - vfat /dev/sdb1 rw\n"
        "26 22 0:21 / /proc rw shared:5 - proc proc rw\n"
    )
    return path


def test_partitions_and_mapped_devices_lead_to_their_disks(sys_block: Path) -> None:
    assert whole_disks("sda2", sys_block) == {"sda"}
    assert whole_disks("dm-0", sys_block) == {"sda"}
    assert whole_disks("sdb", sys_block) == {"sdb"}


def test_system_disk_is_the_one_holding_root_and_boot(sys_block: Path, mountinfo: Path) -> None:
    assert system_disks(mountinfo, sys_block) == {"sda"}


def test_mounted_partitions_make_a_disk_busy(sys_block: Path, mountinfo: Path) -> None:
    assert disk_users("sdb", mountinfo, sys_block) == ["/dev/sdb1 on /media/card"]
    assert disk_users("mmcblk0", mountinfo, sys_block) == []


def test_removable_media(sys_block: Path) -> None:
    card_reader = describe("sdb", sys_block)
    assert card_reader.is_removable and card_reader.model == "Generic SD Reader"
    assert card_reader.size == 62_333_952 * 512
    assert describe("mmcblk0", sys_block).is_removable, "a built-in SD slot holds a removable card"
    assert not describe("sda", sys_block).is_removable
