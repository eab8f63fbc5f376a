"""Synthetic base images laid out like Raspberry Pi OS Lite, made without root and without mounts.

An MBR (fixed disk id, so PARTUUIDs ``<id>-01``/``<id>-02``), a FAT32 ``bootfs`` with ``config.txt`` and
``cmdline.txt`` (``root=PARTUUID=<id>-02``) and an ext4 ``rootfs`` made with ``mkfs.ext4 -d`` from a folder:
either a tiny fake root (fast tests) or a real debootstrap Debian (the boot test). ``/etc/fstab`` mounts both
partitions by PARTUUID, like Raspberry Pi OS's.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.support.tools import require_tool

SECTOR = 512
BOOT_START = 8192  # sectors: 4 MiB, as Raspberry Pi OS
BOOT_MB = 64
DISK_ID = "5e3da7a1"
ROOT_UUID = "0b6c4cdd-3d6b-4a42-9e2a-7f1f5b7a5d10"
CONFIG_TXT = """# For more options and information see http://rpf.io/configtxt
# Uncomment some or all of these to enable the optional hardware interfaces
#dtparam=i2c_arm=on
#dtparam=i2s=on
#dtparam=spi=on

# Enable audio (loads snd_bcm2835)
dtparam=audio=on

[cm4]
otg_mode=1

[all]
arm_64bit=1
"""
OS_RELEASE_TEMPLATE = (
    'PRETTY_NAME="Debian GNU/Linux {0} ({1})"\nVERSION_ID="{0}"\nVERSION_CODENAME={1}\nID=debian\n'
)
OS_RELEASE = {
    "bookworm": OS_RELEASE_TEMPLATE.format(12, "bookworm"),
    "trixie": OS_RELEASE_TEMPLATE.format(13, "trixie"),
}


@dataclass(frozen=True)
class BaseImageLayout:
    path: Path
    disk_id: str = DISK_ID

    @property
    def boot_partuuid(self) -> str:
        return f"{self.disk_id}-01"

    @property
    def root_partuuid(self) -> str:
        return f"{self.disk_id}-02"


def cmdline_txt(disk_id: str = DISK_ID) -> str:
    root = f"root=PARTUUID={disk_id}-02"
    return f"console=serial0,115200 console=tty1 {root} rootfstype=ext4 fsck.repair=yes rootwait\n"


def fstab(disk_id: str = DISK_ID) -> str:
    return (
        "proc            /proc           proc    defaults          0       0\n"
        f"PARTUUID={disk_id}-01  /boot/firmware  vfat    defaults          0       2\n"
        f"PARTUUID={disk_id}-02  /               ext4    defaults,noatime  0       1\n"
    )


def make_tiny_root(folder: Path, codename: str = "bookworm", arch: str = "x86_64") -> Path:
    """A few files that make a root look like Raspberry Pi OS to the builder (it is not bootable)."""
    for sub in ("etc", f"usr/lib/{arch}-linux-gnu", "usr/lib/python3.11", "usr/bin", "etc/systemd/system"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    (folder / "usr/lib/os-release").write_text(OS_RELEASE[codename])
    (folder / "etc/os-release").symlink_to("../usr/lib/os-release")
    (folder / "etc/fstab").write_text(fstab())
    (folder / "etc/modules").write_text("# /etc/modules: kernel modules to load at boot time.\n")
    (folder / "etc/hostname").write_text("raspberrypi\n")
    return folder


def _sbin(command: str, package: str) -> str:
    return require_tool(command, package)


def _fat_partition(path: Path, disk_id: str) -> None:
    subprocess.run(
        [_sbin("mkfs.vfat", "dosfstools"), "-F", "32", "-n", "bootfs", "-i", disk_id[::-1], "-S", "512",
         "-s", "1", "-C", str(path), str(BOOT_MB * 1024)],
        check=True, capture_output=True,
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        for name, text in (("config.txt", CONFIG_TXT), ("cmdline.txt", cmdline_txt(disk_id))):
            (Path(folder) / name).write_text(text)
            subprocess.run(
                [_sbin("mcopy", "mtools"), "-i", str(path), str(Path(folder) / name), f"::{name}"], check=True
            )


def _ext4_partition(path: Path, root: Path, size_mb: int) -> None:
    subprocess.run(
        [_sbin("mkfs.ext4", "e2fsprogs"), "-q", "-F", "-L", "rootfs", "-U", ROOT_UUID, "-E",
         "hash_seed=" + ROOT_UUID, "-d", str(root), str(path), f"{size_mb}M"],
        check=True, capture_output=True, env={"E2FSPROGS_FAKE_TIME": "1700000000", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip


def write_root_file(partition: Path, path: str, text: str) -> None:
    """Replace one file in an ext4 partition file (e.g. a real Debian's /etc/fstab) with debugfs."""
    with tempfile.NamedTemporaryFile("w") as source:
        source.write(text)
        source.flush()
        script = f"rm {path}\nwrite {source.name} {path}\nsif {path} mode 0100644\n"
        debugfs = _sbin("debugfs", "e2fsprogs")
        command = [debugfs, "-w", "-f", "-", str(partition)]
        subprocess.run(command, input=script.encode(), check=True, capture_output=True)


def make_base_image(path: Path, root: Path, root_mb: int, *, fix_fstab: bool = False,
                    codename: str | None = None) -> BaseImageLayout:  # fmt: skip
    """Assemble the image file. ``fix_fstab`` writes the PARTUUID fstab into the ext4 afterwards (for a
    cached Debian root that must stay untouched); ``codename`` likewise replaces /usr/lib/os-release."""
    require_tool("sfdisk", "fdisk")
    root_start = BOOT_START + BOOT_MB * 1024 * 1024 // SECTOR
    with tempfile.TemporaryDirectory(prefix="perch-base-") as folder:
        boot_part, root_part = Path(folder) / "boot.img", Path(folder) / "root.img"
        _fat_partition(boot_part, DISK_ID)
        _ext4_partition(root_part, root, root_mb)
        if fix_fstab:
            write_root_file(root_part, "/etc/fstab", fstab())
        if codename:
            write_root_file(root_part, "/usr/lib/os-release", OS_RELEASE[codename])
        total_sectors = root_start + root_mb * 1024 * 1024 // SECTOR
        with open(path, "wb") as image:
            image.truncate(total_sectors * SECTOR)
        table = (
            f"label: dos\nlabel-id: 0x{DISK_ID}\nunit: sectors\n"
            f"start={BOOT_START}, size={BOOT_MB * 2048}, type=c\nstart={root_start}, type=83\n"
        )
        subprocess.run([_sbin("sfdisk", "fdisk"), "-q", str(path)], input=table.encode(), check=True)
        for part, start in ((boot_part, BOOT_START), (root_part, root_start)):
            subprocess.run(
                ["dd", f"if={part}", f"of={path}", f"bs={SECTOR}", f"seek={start}", "conv=notrunc,sparse",
                 "status=none"], check=True,
            )  # fmt: skip
    return BaseImageLayout(path)
