"""Boot a built image's root filesystem with systemd-nspawn and watch it become a Perch node.

The base image's root is a real Debian (debootstrap, cached); the image is built for the host's CPU; its
root partition is loop-mounted (as root: the test, never the builder) and booted in a network namespace.
From the host we check the first-boot install, the services, and that readings from the simulated agents
reach a paho subscriber over the namespace's veth link with the credentials made on first boot.
"""

from __future__ import annotations

import contextlib
import json
import queue
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from tests.image.base_images import BOOT_START, DISK_ID, make_base_image
from tests.image.conftest import SSH_KEY, _tool, run_build
from tests.support.brokers import wait_for_port
from tests.support.debian_root import cached_debian_root
from tests.support.nspawn import Container, booted_container
from tests.support.tools import require_root, require_tool

pytestmark = [pytest.mark.root, pytest.mark.slow, pytest.mark.timeout(900)]

NODE = "bootnode"
BOOT_CONFIG = f"""\
node: {NODE}
topic_prefix: perch
broker:
  listeners:
    - {{port: 1883, bind: 0.0.0.0}}
  allow_anonymous: false
  password_file: /etc/perch/passwd
mqtt: {{host: localhost, port: 1883, username: agents, password_file: /etc/perch/agents.secret}}
image:
  simulate: true
  user: {{name: ada, ssh_keys: ["{SSH_KEY}"]}}
  wifi: {{ssid: Barn, passphrase: hay-bales-42, country: IE}}
  timezone: Europe/Dublin
agents:
  - name: climate
    type: bme280
    address: 0x76
    interval: 1s
"""
UNITS = ("perch-firstboot.service", "perch-broker.service", "perch-agents.service")
FIRST_BOOT_SECONDS = 300
READING_SECONDS = 60


def _disk_usage_mb(path: Path) -> int:
    output = subprocess.run(["du", "-sm", "--one-file-system", str(path)], capture_output=True, text=True)
    return int(output.stdout.split()[0])


@contextlib.contextmanager
def mounted_root_partition(image: Path, mount_point: Path) -> Iterator[Path]:
    table = json.loads(subprocess.run([_tool("sfdisk"), "--json", str(image)], capture_output=True).stdout)
    root = table["partitiontable"]["partitions"][1]
    mount_point.mkdir()
    options = f"loop,offset={root['start'] * 512},sizelimit={root['size'] * 512}"
    subprocess.run(["mount", "-o", options, str(image), str(mount_point)], check=True)
    try:
        yield mount_point
    finally:
        if subprocess.run(["umount", str(mount_point)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _first_reading(host: str, password: str) -> tuple[str, str]:
    """Subscribe as ``agents`` and return the first numeric reading under perch/<node>/climate/."""
    messages: queue.Queue[tuple[str, str]] = queue.Queue()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="boot-test")
    client.username_pw_set("agents", password)
    client.on_connect = lambda c, userdata, flags, reason, properties: c.subscribe(f"perch/{NODE}/#", qos=1)
    client.on_message = lambda c, userdata, message: messages.put((message.topic, message.payload.decode()))
    client.connect(host, 1883, keepalive=30)
    client.loop_start()
    try:
        deadline = time.monotonic() + READING_SECONDS
        while time.monotonic() < deadline:
            try:
                topic, payload = messages.get(timeout=1)
            except queue.Empty:
                continue
            with contextlib.suppress(ValueError):
                if topic.startswith(f"perch/{NODE}/climate/") and topic.count("/") == 3:
                    float(payload)
                    return topic, payload
        raise AssertionError(f"no reading from perch/{NODE}/climate/... within {READING_SECONDS}s")
    finally:
        client.loop_stop()
        client.disconnect()


def _assert_first_boot_ran(container: Container, root: Path) -> None:
    state = container.wait_for_unit("perch-firstboot.service", timeout=FIRST_BOOT_SECONDS)
    assert state == "active", container.describe_failure("perch-firstboot.service")
    container.run("test", "-x", "/opt/perch/bin/perch")
    container.run("/opt/perch/bin/python", "-c", "import broker, agents, paho.mqtt, yaml")
    assert container.run(
        "systemctl", "is-enabled", "perch-firstboot.service", check=False
    ).stdout.strip() == ("disabled")
    assert "perch" in container.run("id", "-nG", "perch").stdout.split()
    secret = root / "etc/perch/agents.secret"
    assert secret.stat().st_mode & 0o777 == 0o640 and len(secret.read_text().strip()) >= 16
    assert (root / "etc/perch/passwd").read_text().startswith("agents:$7$")
    assert (root / "etc/perch/admin.secret").stat().st_mode & 0o777 == 0o600  # root's alone
    assert (root / "etc/perch/tls/server.crt").read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert (root / "etc/perch/tls/server.key").stat().st_mode & 0o777 == 0o640


def _boot_file(image: Path, name: str) -> str:
    spec = f"{image}@@{BOOT_START * 512}"
    return subprocess.run(
        [_tool("mtype"), "-i", spec, f"::{name}"], capture_output=True, check=True
    ).stdout.decode()


def _assert_bookworm_firstrun_applies_settings(container: Container, root: Path, image: Path) -> None:
    """Run the image's firstrun.sh the way Raspberry Pi OS Bookworm would (systemd.run=), minus the Pi
    tools this Debian lacks (userconf-pi, raspi-config, NetworkManager): the user is made beforehand."""
    boot = root / "boot/firmware"
    boot.mkdir(parents=True, exist_ok=True)
    (boot / "firstrun.sh").write_text(_boot_file(image, "firstrun.sh"))
    (boot / "cmdline.txt").write_text(_boot_file(image, "cmdline.txt"))
    container.run("useradd", "--create-home", "ada")
    container.run("bash", "/boot/firmware/firstrun.sh")
    assert (root / "etc/hostname").read_text() == f"{NODE}\n"
    assert container.run("readlink", "/etc/localtime").stdout.strip() == "/usr/share/zoneinfo/Europe/Dublin"
    keys = root / "home/ada/.ssh/authorized_keys"
    assert keys.read_text() == SSH_KEY + "\n" and keys.stat().st_mode & 0o777 == 0o600
    cmdline = (boot / "cmdline.txt").read_text().split()
    assert not [word for word in cmdline if word.startswith("systemd.")], cmdline
    assert f"root=PARTUUID={DISK_ID}-02" in cmdline and "cfg80211.ieee80211_regdom=IE" in cmdline
    assert not (boot / "firstrun.sh").exists(), "firstrun.sh removes itself"


def test_built_image_boots_into_a_publishing_perch_node(tmp_path: Path, prebuilt_perch_wheel: Path) -> None:
    require_root()
    require_tool("mount", "mount")
    debian = cached_debian_root()
    base = make_base_image(tmp_path / "base.img", debian, _disk_usage_mb(debian) + 400, fix_fstab=True).path
    config = tmp_path / "perch.yaml"
    config.write_text(BOOT_CONFIG)
    result = run_build(base, config, tmp_path / "perch.img", "--perch-wheel", str(prebuilt_perch_wheel))
    assert result.returncode == 0, result.stderr
    assert "listens on 127.0.0.1 only" not in result.stdout, "this config binds 0.0.0.0: no warning"
    base.unlink()
    with (
        mounted_root_partition(tmp_path / "perch.img", tmp_path / "root") as root,
        booted_container(root, tmp_path) as container,
    ):
        _assert_first_boot_ran(container, root)
        for unit in ("perch-broker.service", "perch-agents.service"):
            assert container.wait_for_unit(unit, timeout=60) == "active", container.describe_failure(unit)
        unit_paths = [f"/etc/systemd/system/{unit}" for unit in UNITS]
        verify = container.run("systemd-analyze", "verify", *unit_paths, check=False)
        assert verify.returncode == 0 and verify.stderr == "", verify.stderr
        password = (root / "etc/perch/agents.secret").read_text().strip()
        try:
            wait_for_port(container.address, 1883, timeout=60)  # "active" means started, not yet listening
        except RuntimeError as error:
            raise AssertionError(container.describe_failure("perch-broker.service")) from error
        topic, payload = _first_reading(container.address, password)
        assert -40 < float(payload) < 110_000, (topic, payload)  # °C, %, hPa or Pa: a plausible reading
        assert container.unit_state("perch-agents.service") == "active", topic
        _assert_bookworm_firstrun_applies_settings(container, root, tmp_path / "perch.img")
