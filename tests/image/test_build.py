"""``perch image build`` on synthetic Raspberry Pi OS-like images (tiny fake roots: fast, no root needed)."""

from __future__ import annotations

import hashlib
import re
import subprocess
import xml.etree.ElementTree as ElementTree

import pytest
import yaml

from tests.image.base_images import BOOT_MB, BOOT_START, DISK_ID, ROOT_UUID
from tests.image.conftest import PASSWORD_HASH, SSH_KEY, BuiltImage, _tool, make_tiny_base, run_build

UNIT_DIR = "/etc/systemd/system"
EXPECTED_FILES = [
    # path, debugfs type, mode, uid, gid
    ("/usr/local/lib/perch/perch-firstboot", "regular", "0755", "0", "0"),
    (f"{UNIT_DIR}/perch-firstboot.service", "regular", "0644", "0", "0"),
    (f"{UNIT_DIR}/perch-broker.service", "regular", "0644", "0", "0"),
    (f"{UNIT_DIR}/perch-agents.service", "regular", "0644", "0", "0"),
    ("/etc/perch/perch.yaml", "regular", "0644", "0", "0"),
    ("/etc/default/perch", "regular", "0644", "0", "0"),
    ("/etc/avahi/services/perch-mqtt.service", "regular", "0644", "0", "0"),
    ("/etc/modules", "regular", "0644", "0", "0"),
    ("/etc/perch", "directory", "0755", "0", "0"),
    ("/usr/local/lib/perch/wheels", "directory", "0755", "0", "0"),
]


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_partition_table_labels_and_uuids_are_kept(built_bookworm: BuiltImage) -> None:
    table = built_bookworm.table
    base = subprocess.run(
        [_tool("sfdisk"), "--json", str(built_bookworm.base)], capture_output=True, check=True
    )
    assert table["label"] == "dos" and table["id"] == f"0x{DISK_ID}"
    assert table["partitions"] == [
        {**partition, "node": partition["node"].replace(str(built_bookworm.base), str(built_bookworm.path))}
        for partition in __import__("json").loads(base.stdout)["partitiontable"]["partitions"]
    ]
    label = subprocess.run([_tool("mlabel"), "-s", "-i", built_bookworm.boot_spec, "::"], capture_output=True)
    assert b"bootfs" in label.stdout
    stats = subprocess.run([_tool("debugfs"), "-R", "stats", built_bookworm.root_spec], capture_output=True)
    assert re.search(rb"Filesystem volume name:\s+rootfs\n", stats.stdout)
    assert f"Filesystem UUID:          {ROOT_UUID}".encode() in stats.stdout


def test_cmdline_and_fstab_still_name_the_partuuids(built_bookworm: BuiltImage) -> None:
    cmdline = built_bookworm.boot_file("cmdline.txt")
    assert cmdline is not None and cmdline.count("\n") == 1, "cmdline.txt must stay one line"
    assert f"root=PARTUUID={DISK_ID}-02" in cmdline.split()
    fstab = built_bookworm.root_file("/etc/fstab").decode()
    assert f"PARTUUID={DISK_ID}-01  /boot/firmware" in fstab
    assert f"PARTUUID={DISK_ID}-02  /  " in fstab


def test_root_filesystem_passes_e2fsck(built_bookworm: BuiltImage) -> None:
    result = subprocess.run(
        [_tool("e2fsck"), "-fn", built_bookworm.root_spec], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_config_txt_enables_i2c_spi_and_one_wire(built_bookworm: BuiltImage) -> None:
    lines = built_bookworm.boot_file("config.txt").splitlines()
    for wanted in ("dtparam=i2c_arm=on", "dtparam=spi=on", "dtoverlay=w1-gpio"):
        assert lines.count(wanted) == 1, wanted
        sections = [line for line in lines[: lines.index(wanted)] if line.startswith("[")]
        assert sections in ([], ["[cm4]", "[all]"]), f"{wanted} must not fall under a model filter"
    assert "#dtparam=i2c_arm=on" not in lines and "dtparam=audio=on" in lines and "otg_mode=1" in lines


def test_modules_loads_i2c_dev(built_bookworm: BuiltImage) -> None:
    modules = built_bookworm.root_file("/etc/modules").decode().splitlines()
    assert modules == ["# /etc/modules: kernel modules to load at boot time.", "i2c-dev"]


@pytest.mark.parametrize(("path", "kind", "mode", "uid", "gid"), EXPECTED_FILES)
def test_files_have_their_mode_and_owner(built_bookworm: BuiltImage, path, kind, mode, uid, gid) -> None:
    found = built_bookworm.root_stat(path)
    assert (found.get("type"), found.get("mode"), found.get("uid"), found.get("gid")) == (
        kind,
        mode,
        uid,
        gid,
    )


@pytest.mark.parametrize("unit", ["perch-firstboot.service", "perch-broker.service", "perch-agents.service"])
def test_units_are_enabled_like_systemctl_enable(built_bookworm: BuiltImage, unit: str) -> None:
    link = built_bookworm.root_stat(f"{UNIT_DIR}/multi-user.target.wants/{unit}")
    assert link["type"] == "symlink" and link["link"] == f"{UNIT_DIR}/{unit}"
    assert built_bookworm.root_file(f"{UNIT_DIR}/{unit}") == (_repo_file(f"systemd/{unit}"))


def _repo_file(relative: str) -> bytes:
    from tests.image.conftest import REPO_ROOT

    return (REPO_ROOT / relative).read_bytes()


def test_wheels_for_the_target_are_shipped(built_bookworm: BuiltImage) -> None:
    listing = subprocess.run(
        [_tool("debugfs"), "-R", "ls -p /usr/local/lib/perch/wheels", built_bookworm.root_spec],
        capture_output=True, text=True,
    ).stdout  # fmt: skip
    names = [line.split("/")[5] for line in listing.splitlines() if line.count("/") >= 6]
    assert any(name.startswith("perch-0.1.0-py3-none-any") for name in names)
    assert any(name.startswith("pip-") for name in names), "first boot runs pip from its wheel"
    assert any(re.match(r"pyyaml-.*-cp311-cp311-manylinux.*x86_64", name) for name in names), names
    for package in ("paho_mqtt", "gpiozero", "smbus2", "websockets"):
        assert any(name.lower().startswith(package) for name in names), package
    assert not any(name.lower().startswith(("fabric", "pytest")) for name in names)


def test_deployed_config_has_no_image_secrets(built_bookworm: BuiltImage) -> None:
    deployed = built_bookworm.root_file("/etc/perch/perch.yaml").decode()
    parsed = yaml.safe_load(deployed)
    assert parsed["node"] == "greenhouse" and parsed["agents"][0]["name"] == "climate"
    assert "image" not in parsed and "correct horse" not in deployed and PASSWORD_HASH not in deployed


def test_avahi_advertises_mqtt(built_bookworm: BuiltImage) -> None:
    service = ElementTree.fromstring(built_bookworm.root_file("/etc/avahi/services/perch-mqtt.service"))
    assert service.findtext("service/type") == "_mqtt._tcp"
    assert service.findtext("service/port") == "1883"


def test_no_secrets_are_baked_in(built_bookworm: BuiltImage) -> None:
    for path in ("/etc/perch/passwd", "/etc/perch/agents.secret", "/etc/perch/tls/server.key"):
        assert built_bookworm.root_stat(path) == {}, f"{path} must be made on first boot, per device"


def test_bookworm_gets_userconf_ssh_and_firstrun(built_bookworm: BuiltImage) -> None:
    assert built_bookworm.boot_file("ssh") == ""
    assert built_bookworm.boot_file("userconf.txt") == f"ada:{PASSWORD_HASH}\n"
    firstrun = built_bookworm.boot_file("firstrun.sh")
    assert firstrun.startswith("#!/bin/bash") and "greenhouse" in firstrun and SSH_KEY in firstrun
    assert "ssid=Home Net" in firstrun and "do_wifi_country GB" in firstrun
    cmdline = built_bookworm.boot_file("cmdline.txt").split()
    assert "systemd.run=/boot/firmware/firstrun.sh" in cmdline and "cfg80211.ieee80211_regdom=GB" in cmdline
    assert built_bookworm.boot_file("user-data") is None
    syntax = subprocess.run(["bash", "-n"], input=firstrun, capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr


def test_trixie_gets_cloud_init_nocloud_files(built_trixie: BuiltImage) -> None:
    user_data_text = built_trixie.boot_file("user-data")
    assert user_data_text.startswith("#cloud-config\n")
    user_data = yaml.safe_load(user_data_text)
    assert user_data["hostname"] == "greenhouse" and user_data["timezone"] == "Europe/London"
    assert user_data["locale"] == "en_GB.UTF-8" and user_data["keyboard"]["layout"] == "gb"
    assert user_data["rpi"]["interfaces"] == {"i2c": True, "spi": True, "onewire": True}
    (user,) = user_data["users"]
    assert (
        user["name"] == "ada" and user["passwd"] == PASSWORD_HASH and user["ssh_authorized_keys"] == [SSH_KEY]
    )
    assert "gpio" in user["groups"].split(",")
    network = yaml.safe_load(built_trixie.boot_file("network-config"))["network"]
    wlan = network["wifis"]["wlan0"]
    assert network["version"] == 2 and wlan["regulatory-domain"] == "GB"
    assert wlan["access-points"] == {"Home Net": {"password": "correct horse"}}
    instance = yaml.safe_load(built_trixie.boot_file("meta-data"))["instance-id"]
    assert re.fullmatch(r"perch-[0-9a-f]{16}", instance)
    assert f"ds=nocloud;i={instance}" in built_trixie.boot_file("cmdline.txt").split()
    assert built_trixie.boot_file("firstrun.sh") is None and built_trixie.boot_file("userconf.txt") is None


def test_progress_and_summary(built_bookworm: BuiltImage) -> None:
    assert "[1/7] Reading base image" in built_bookworm.result.stderr
    assert "[7/7] Writing" in built_bookworm.result.stderr
    summary = built_bookworm.result.stdout
    assert f"Built {built_bookworm.path}" in summary and "PARTUUIDs unchanged" in summary
    assert "config.txt (dtparam=spi=on)" in summary and "/etc/perch/perch.yaml" in summary
    assert "listens on 127.0.0.1 only" in summary, "the test config sets no bind address: the user is warned"


def test_same_inputs_give_the_same_bytes(
    built_bookworm: BuiltImage, config_file, prebuilt_perch_wheel
) -> None:
    again = built_bookworm.path.with_name("again.img")
    result = run_build(built_bookworm.base, config_file, again, "--perch-wheel", str(prebuilt_perch_wheel))
    assert result.returncode == 0, result.stderr
    assert sha256(again) == sha256(built_bookworm.path)
    again.unlink()


def test_zstd_output_holds_the_same_image(
    built_bookworm: BuiltImage, config_file, prebuilt_perch_wheel
) -> None:
    packed = built_bookworm.path.with_name("packed.img.zst")
    result = run_build(built_bookworm.base, config_file, packed, "--perch-wheel", str(prebuilt_perch_wheel))
    assert result.returncode == 0, result.stderr
    unpacked = subprocess.run([_tool("zstd"), "-dc", str(packed)], capture_output=True, check=True).stdout
    assert hashlib.sha256(unpacked).hexdigest() == sha256(built_bookworm.path)
    packed.unlink()


def test_a_pi_image_gets_aarch64_wheels_and_the_gpio_library(
    tmp_path, config_file, prebuilt_perch_wheel
) -> None:
    """The target's CPU comes from the base image (/usr/lib/aarch64-linux-gnu), not from this machine."""
    base = make_tiny_base(tmp_path, root_mb=48, arch="aarch64")
    out = tmp_path / "pi.img"
    result = run_build(base, config_file, out, "--perch-wheel", str(prebuilt_perch_wheel))
    assert result.returncode == 0, result.stderr
    assert "aarch64, Python 3.11" in result.stdout
    spec = f"{out}?offset={(BOOT_START + BOOT_MB * 2048) * 512}"
    listing = subprocess.run([_tool("debugfs"), "-R", "ls /usr/local/lib/perch/wheels", spec],
                             capture_output=True, text=True).stdout  # fmt: skip
    assert re.search(r"pyyaml-\S+-cp311-cp311-manylinux\S*aarch64", listing), listing
    assert re.search(r"lgpio-\S+aarch64", listing) and "x86_64" not in listing, listing


def test_xz_download_is_read_like_the_plain_image(
    built_bookworm: BuiltImage, config_file, prebuilt_perch_wheel
) -> None:
    """Raspberry Pi OS is downloaded as .img.xz; the builder decompresses it itself."""
    packed_base = built_bookworm.path.with_name("base.img.xz")
    with open(packed_base, "wb") as target:
        subprocess.run([_tool("xz"), "-T0", "-1", "-c", str(built_bookworm.base)], stdout=target, check=True)
    out = built_bookworm.path.with_name("from-xz.img")
    result = run_build(packed_base, config_file, out, "--perch-wheel", str(prebuilt_perch_wheel))
    assert result.returncode == 0, result.stderr
    assert sha256(out) == sha256(built_bookworm.path)
    out.unlink()
    packed_base.unlink()


def test_flags_set_what_the_config_leaves_out(tmp_path, prebuilt_perch_wheel) -> None:
    config = tmp_path / "perch.yaml"
    config.write_text("node: barn\nagents: []\n")
    key_file = tmp_path / "id_ed25519.pub"
    key_file.write_text(SSH_KEY + "\n")
    out = tmp_path / "barn.img"
    flags = ["--hostname", "barn-pi", "--user", "grace", "--ssh-key", str(key_file), "--wifi-ssid", "Barn",
             "--wifi-passphrase", "hay-bales-42", "--wifi-country", "IE", "--simulate"]  # fmt: skip
    flags += ["--perch-wheel", str(prebuilt_perch_wheel)]
    result = run_build(make_tiny_base(tmp_path, "trixie"), config, out, *flags)
    assert result.returncode == 0, result.stderr
    built = BuiltImage(out, out, result)
    user_data = yaml.safe_load(built.boot_file("user-data"))
    assert user_data["hostname"] == "barn-pi" and user_data["users"][0]["ssh_authorized_keys"] == [SSH_KEY]
    assert "passwd" not in user_data["users"][0] and user_data["ssh_pwauth"] is False
    wlan = yaml.safe_load(built.boot_file("network-config"))["network"]["wifis"]["wlan0"]
    assert (
        wlan["access-points"] == {"Barn": {"password": "hay-bales-42"}} and wlan["regulatory-domain"] == "IE"
    )
    assert b"PERCH_AGENTS_ARGS=--simulate\n" in built.root_file("/etc/default/perch")
