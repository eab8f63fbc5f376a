"""``perch image flash``: write with verify to a file or loop device standing in for an SD card; refusals.

Refusal tests on real block devices use ``--dry-run`` as well, so even a broken check cannot write.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from image.disks import kernel_name, system_disks
from image.errors import FlashRefusedError
from image.flash import FlashRequest, flash_image
from tests.support.tools import missing, require_root, require_tool

IMAGE_BYTES = 3 * 1024 * 1024 + 512


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "perch.img"
    path.write_bytes(os.urandom(IMAGE_BYTES - 4096) + bytes(4096))
    return path


def flash(*arguments: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "perch", "image", "flash", *arguments]
    return subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)


@contextlib.contextmanager
def loop_device(backing: Path, size: int) -> Iterator[Path]:
    require_root()
    require_tool("losetup", "mount")
    with open(backing, "wb") as file:
        file.truncate(size)
    device = subprocess.run(
        ["losetup", "-f", "--show", str(backing)], capture_output=True, text=True, check=True
    )
    path = Path(device.stdout.strip())
    try:
        yield path
    finally:
        subprocess.run(["losetup", "-d", str(path)], check=True)


def test_flash_to_a_file_writes_and_verifies(image: Path, tmp_path: Path) -> None:
    card = tmp_path / "card.img"
    card.write_bytes(b"old data" * 1_000_000)  # longer than the image: the file is replaced, not overlaid
    result = flash(str(image), str(card), "--yes")
    assert result.returncode == 0, result.stderr
    digest = hashlib.sha256(image.read_bytes()).hexdigest()
    assert f"verified, sha256 {digest}" in result.stdout
    assert card.read_bytes() == image.read_bytes()
    assert "[1/2] Writing" in result.stderr and "[2/2] Verifying" in result.stderr


def test_compressed_image_is_written_decompressed(image: Path, tmp_path: Path) -> None:
    packed = tmp_path / "perch.img.zst"
    subprocess.run([require_tool("zstd", "zstd"), "-q", "-o", str(packed), str(image)], check=True)
    card = tmp_path / "card.img"
    assert flash(str(packed), str(card), "--yes").returncode == 0
    assert card.read_bytes() == image.read_bytes()


def test_dry_run_writes_nothing(image: Path, tmp_path: Path) -> None:
    card = tmp_path / "card.img"
    result = flash(str(image), str(card), "--dry-run")
    assert result.returncode == 0 and "dry run: would write" in result.stdout
    assert not card.exists()


def test_without_a_terminal_it_asks_for_yes(image: Path, tmp_path: Path) -> None:
    card = tmp_path / "card.img"
    result = flash(str(image), str(card))
    assert result.returncode == 2 and "add --yes" in result.stderr
    assert not card.exists()


def test_anything_but_yes_cancels(image: Path, tmp_path: Path) -> None:
    card = tmp_path / "card.img"
    prompts: list[str] = []
    with pytest.raises(FlashRefusedError, match="not confirmed"):
        flash_image(FlashRequest(image, card), ask=lambda prompt: prompts.append(prompt) or "y")
    assert "ERASES everything on" in prompts[0] and not card.exists()
    flash_image(FlashRequest(image, card), ask=lambda prompt: "yes")
    assert card.read_bytes() == image.read_bytes()


def test_missing_device_is_bad_input(image: Path) -> None:
    result = flash(str(image), "/dev/perch-no-such-card", "--yes")
    assert result.returncode == 2 and "no such device" in result.stderr


def test_refuses_the_disk_the_system_runs_from(image: Path) -> None:
    disks = sorted(system_disks())
    if not disks or not Path(f"/dev/{disks[0]}").exists():
        missing("the root filesystem is not on a block device here (container or overlay)")
    result = flash(str(image), f"/dev/{disks[0]}", "--yes", "--force", "--dry-run")
    assert result.returncode == 2 and "holds the running system" in result.stderr


def test_flash_to_a_loop_device_writes_and_verifies(image: Path, tmp_path: Path) -> None:
    with loop_device(tmp_path / "card.bin", 8 * 1024 * 1024) as device:
        result = flash(str(image), str(device), "--yes")
        assert result.returncode == 0, result.stderr
        assert "loop device" in result.stdout and "verified" in result.stdout
        with open(device, "rb") as card:
            assert card.read(IMAGE_BYTES) == image.read_bytes()


def test_refuses_a_loop_device_smaller_than_the_image(image: Path, tmp_path: Path) -> None:
    with loop_device(tmp_path / "card.bin", 1024 * 1024) as device:
        result = flash(str(image), str(device), "--yes")
        assert result.returncode == 2 and "does not fit" in result.stderr


def test_refuses_a_mounted_disk(image: Path, tmp_path: Path) -> None:
    with loop_device(tmp_path / "card.bin", 8 * 1024 * 1024) as device:
        subprocess.run([require_tool("mkfs.ext4", "e2fsprogs"), "-q", str(device)], check=True)
        mount_point = tmp_path / "mnt"
        mount_point.mkdir()
        subprocess.run(["mount", str(device), str(mount_point)], check=True)
        try:
            result = flash(str(image), str(device), "--yes", "--force", "--dry-run")
        finally:
            subprocess.run(["umount", str(mount_point)], check=True)
        assert result.returncode == 2 and f"on {mount_point}" in result.stderr and "unmount" in result.stderr


def test_refuses_a_fixed_disk_unless_forced(image: Path) -> None:
    require_root()
    candidates = [name for name in ("zram0", "ram0", "nbd0") if Path(f"/dev/{name}").exists()]
    fixed = [name for name in candidates if name not in system_disks() and kernel_name(Path(f"/dev/{name}"))]
    if not fixed:
        missing("no unused non-removable block device (zram0, ram0, nbd0) on this machine to try")
    result = flash(str(image), f"/dev/{fixed[0]}", "--yes", "--dry-run")
    assert result.returncode == 2 and "not a removable disk" in result.stderr and "--force" in result.stderr
    forced = flash(str(image), f"/dev/{fixed[0]}", "--yes", "--dry-run", "--force")
    assert "not a removable disk" not in forced.stderr  # past the check; may still not fit (an empty zram)
    assert "FIXED DISK" in forced.stdout + forced.stderr
