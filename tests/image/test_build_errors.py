"""``perch image build`` refuses bad input clearly (exit 2), leaves nothing behind, and needs no root."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from image.wheels import cache_root
from tests.image.base_images import BOOT_MB, BOOT_START
from tests.image.conftest import CONFIG, BuiltImage, make_tiny_base, run_build
from tests.support.tools import require_root


def assert_nothing_left(folder: Path, out: Path) -> None:
    assert not out.exists()
    assert not [path.name for path in folder.iterdir() if path.name.startswith(f".{out.name}")]


def test_random_bytes_are_not_a_base_image(tmp_path: Path, config_file: Path) -> None:
    base = tmp_path / "download.img"
    base.write_bytes(os.urandom(1024 * 1024))
    result = run_build(base, config_file, tmp_path / "out.img")
    assert result.returncode == 2
    assert "no partition table found" in result.stderr and "Raspberry Pi OS" in result.stderr
    assert_nothing_left(tmp_path, tmp_path / "out.img")


def test_truncated_download_is_reported(tmp_path: Path, config_file: Path) -> None:
    base = make_tiny_base(tmp_path)
    with open(base, "r+b") as image:
        image.truncate((BOOT_START + BOOT_MB * 2048) * 512 + 4096)
    result = run_build(base, config_file, tmp_path / "out.img")
    assert result.returncode == 2 and "truncated download?" in result.stderr, result.stderr
    assert_nothing_left(tmp_path, tmp_path / "out.img")


def test_corrupt_root_partition_is_reported(tmp_path: Path, config_file: Path) -> None:
    base = make_tiny_base(tmp_path)
    with open(base, "r+b") as image:
        image.seek((BOOT_START + BOOT_MB * 2048) * 512)
        image.write(bytes(64 * 1024))  # wipe the ext4 superblock
    result = run_build(base, config_file, tmp_path / "out.img")
    assert result.returncode == 2 and "not a readable ext4 filesystem" in result.stderr, result.stderr


def test_missing_base_image(tmp_path: Path, config_file: Path) -> None:
    result = run_build(tmp_path / "nope.img.xz", config_file, tmp_path / "out.img")
    assert result.returncode == 2 and "base image not found" in result.stderr


@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [
        ("country: GB", "country: gb", "perch.yaml:8:64: image.wifi.country: expected a two-letter code"),
        ("  timezone:", "  timezon:", "image.timezon: unknown setting (did you mean 'timezone'?)"),
        ("node: greenhouse", "node: Green_House", "perch.yaml:1:7: image.hostname: expected a host name"),
        ('password_hash: "$6$', 'password_hash: "plain', "image.user.password_hash: expected a crypt hash"),
        ("agents:", "agents: [", "not valid YAML"),
    ],
)
def test_bad_config_names_file_line_and_setting(tmp_path: Path, replace: str, by: str, message: str) -> None:
    config = tmp_path / "perch.yaml"
    assert replace in CONFIG
    config.write_text(CONFIG.replace(replace, by, 1))
    result = run_build(tmp_path / "never-read.img", config, tmp_path / "out.img")
    assert result.returncode == 2
    assert message in result.stderr, result.stderr
    assert_nothing_left(tmp_path, tmp_path / "out.img")


def test_full_root_partition_is_reported(
    tmp_path: Path, config_file: Path, prebuilt_perch_wheel: Path
) -> None:
    base = make_tiny_base(tmp_path, root_mb=3)
    result = run_build(base, config_file, tmp_path / "out.img", "--perch-wheel", str(prebuilt_perch_wheel))
    assert result.returncode == 1
    assert "root partition has" in result.stderr and "Perch needs about" in result.stderr, result.stderr
    assert_nothing_left(tmp_path, tmp_path / "out.img")


def test_builds_as_an_unprivileged_user(built_bookworm: BuiltImage, prebuilt_perch_wheel: Path) -> None:
    """The builder never needs root: run it as ``nobody`` (wheels from a copy of the warm cache, offline),
    or with no capabilities at all where this checkout is private to root (as in CI under /root)."""
    require_root()  # dropping to nobody needs root; CI runs as root, so there it always runs
    folder = Path(tempfile.mkdtemp(prefix="perch-nobody-"))
    try:
        for source in (built_bookworm.base, prebuilt_perch_wheel):
            shutil.copy(source, folder / source.name)
        (folder / "perch.yaml").write_text(CONFIG)
        shutil.copytree(cache_root(), folder / "cache/perch/wheels")
        subprocess.run(["chown", "-R", "nobody:nogroup", str(folder)], check=True)
        os.chmod(folder, 0o755)
        wheel = str(folder / prebuilt_perch_wheel.name)
        environment = {"XDG_CACHE_HOME": str(folder / "cache"), "HOME": str(folder)}
        base, config = folder / built_bookworm.base.name, folder / "perch.yaml"
        result = run_build(base, config, folder / "perch.img", "--perch-wheel", wheel, unprivileged=True,
                           environment=environment)  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert (folder / "perch.img").read_bytes() == built_bookworm.path.read_bytes()
    finally:
        shutil.rmtree(folder)
