"""A "Raspberry Pi" for provisioning tests: a Debian root booted with systemd in its own network namespace.

Built on the image component's helpers (``tests.support.debian_root`` for the cached debootstrap root,
``tests.support.nspawn`` for the boot). Before booting, the copy is made to look like a fresh Raspberry Pi
OS Lite as far as provisioning can tell: a ``pi`` user with password-less sudo and the test's SSH key, a
``guest`` user without sudo, an ``admin`` whose sudo asks for a password, a ``config.txt`` in
``/boot/firmware``, a host name, and a fresh SSH host key whose public half is written to a known_hosts
file for the test. The packages ``bootstrap`` installs are already in the root (the namespace has no route
to a package mirror), so bootstrap finds them present.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from provisioning.tasks.bootstrap import PACKAGES
from tests.support.debian_root import BASE_PACKAGES, fresh_debian_root
from tests.support.nspawn import Container, booted_container
from tests.support.tools import require_root, require_tool

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_PI_PACKAGES = tuple(sorted({*BASE_PACKAGES, *PACKAGES}))
STOCK_CONFIG_TXT = """# For more options and information see http://rptl.io/configtxt
# Uncomment some or all of these to enable the optional hardware interfaces
#dtparam=i2c_arm=on
#dtparam=i2s=on
#dtparam=spi=on

# Enable audio (loads snd_bcm2835)
dtparam=audio=on

[all]
"""
SSH_WAIT_SECONDS = 20
ADMIN_SUDO_PASSWORD = "sudo-needs-this"  # the admin user's sudo asks for it (as on a hardened Pi)
PROVISION_TIMEOUT_SECONDS = 300


@dataclass
class SshKeys:
    """The test's SSH client key, a second key the Pi does not know, and a folder for known_hosts files."""

    folder: Path

    @property
    def key(self) -> Path:
        return self.folder / "id_pi"

    @property
    def wrong_key(self) -> Path:
        return self.folder / "id_stranger"


def make_keys(folder: Path) -> SshKeys:
    keys = SshKeys(folder)
    for path in (keys.key, keys.wrong_key):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)], check=True
        )
    return keys


@dataclass
class TestPi:
    __test__ = False  # a helper, not a test class

    container: Container
    hostname: str
    known_hosts: Path
    keys: SshKeys

    @property
    def address(self) -> str:
        return self.container.address

    @property
    def target(self) -> str:
        return f"pi@{self.address}"

    def provision(
        self, *words: str, target: str | None = None, key: Path | None = None
    ) -> subprocess.CompletedProcess:
        """Run ``perch provision`` against this Pi with the test's key and known_hosts."""
        return run_provision(
            "--key", str(key or self.keys.key), "--known-hosts", str(self.known_hosts),
            "--timeout", "5", target or self.target, *words,
        )  # fmt: skip

    def sh(self, command: str, check: bool = True) -> str:
        """A shell command inside the Pi, as root; its stdout."""
        return self.container.run("sh", "-c", command, check=check).stdout

    def main_pid(self, unit: str) -> int:
        return int(self.sh(f"systemctl show -p MainPID --value {unit}").strip() or 0)


def run_provision(*arguments: str, stdin: str = "") -> subprocess.CompletedProcess:
    environment = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    return subprocess.run(
        [sys.executable, "-m", "perch", "provision", *arguments], input=stdin, start_new_session=True,
        capture_output=True, text=True, timeout=PROVISION_TIMEOUT_SECONDS, cwd=REPO_ROOT, env=environment,
    )  # fmt: skip


def _chroot(root: Path, *command: str) -> None:
    subprocess.run(["chroot", str(root), *command], check=True, capture_output=True, timeout=60)


def prepare_root(root: Path, hostname: str, keys: SshKeys) -> str:
    """Make the copied root look like a fresh Pi; returns its new SSH host public key line."""
    (root / "etc/hostname").write_text(f"{hostname}\n")
    (root / "etc/hosts").write_text(f"127.0.0.1 localhost\n127.0.1.1 {hostname}\n")
    _chroot(root, "useradd", "--create-home", "--shell", "/bin/bash", "--groups", "sudo", "pi")
    _chroot(root, "useradd", "--create-home", "--shell", "/bin/bash", "guest")
    _chroot(root, "useradd", "--create-home", "--shell", "/bin/bash", "--groups", "sudo", "admin")
    subprocess.run(
        ["chroot", str(root), "chpasswd"], input=f"admin:{ADMIN_SUDO_PASSWORD}\n", text=True, check=True
    )
    (root / "etc/sudoers.d/010_pi-nopasswd").write_text("pi ALL=(ALL) NOPASSWD: ALL\n")
    (root / "etc/sudoers.d/010_pi-nopasswd").chmod(0o440)
    public_key = keys.key.with_suffix(".pub").read_text()
    for user in ("pi", "guest", "admin"):
        ssh_folder = root / "home" / user / ".ssh"
        ssh_folder.mkdir(mode=0o700)
        (ssh_folder / "authorized_keys").write_text(public_key)
        _chroot(root, "chown", "-R", f"{user}:{user}", f"/home/{user}/.ssh")
    (root / "boot/firmware").mkdir(parents=True, exist_ok=True)
    (root / "boot/firmware/config.txt").write_text(STOCK_CONFIG_TXT)
    for old in (root / "etc/ssh").glob("ssh_host_*"):
        old.unlink()
    host_key = root / "etc/ssh/ssh_host_ed25519_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(host_key)], check=True)
    return " ".join(host_key.with_suffix(".pub").read_text().split()[:2])


def wait_for_ssh(container: Container) -> None:
    deadline = time.monotonic() + SSH_WAIT_SECONDS
    while time.monotonic() < deadline:
        if container.unit_state("ssh.service") == "active":
            return
        time.sleep(0.2)
    raise RuntimeError(
        f"sshd did not start in {container.name}:\n{container.describe_failure('ssh.service')}"
    )


@contextlib.contextmanager
def booted_test_pi(
    work: Path, hostname: str, keys: SshKeys, customize: Callable[[Path], None] | None = None
) -> Iterator[TestPi]:
    """A test Pi named ``hostname``, booted, with sshd answering; torn down afterwards.

    ``customize(root)`` may change the root filesystem before it boots.
    """
    require_root()
    require_tool("ssh-keygen", "openssh-client")
    require_tool("chroot", "coreutils")
    with fresh_debian_root(TEST_PI_PACKAGES) as root:
        host_key = prepare_root(root, hostname, keys)
        if customize is not None:
            customize(root)
        with booted_container(root, work) as container:
            wait_for_ssh(container)
            known_hosts = work / f"known_hosts-{hostname}"
            known_hosts.write_text(f"{container.address} {host_key}\n")
            yield TestPi(container, hostname, known_hosts, keys)


def collect_readings(
    address: str, topic_filter: str, wanted: set[str], timeout: float = 45
) -> dict[str, str]:
    """Subscribe from this host to the Pi's broker until every topic in ``wanted`` has a payload."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    received: dict[str, str] = {}
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"provision-test-{os.getpid()}")
    client.on_connect = lambda c, *_: c.subscribe(topic_filter, qos=1)
    client.on_message = lambda _c, _u, message: received.__setitem__(
        message.topic, message.payload.decode("utf-8", "replace")
    )
    deadline = time.monotonic() + timeout
    while True:  # the broker may still be starting: retry the connection until the deadline
        try:
            client.connect(address, 1883, keepalive=10)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    client.loop_start()
    try:
        while time.monotonic() < deadline and not wanted <= received.keys():
            time.sleep(0.1)
    finally:
        client.loop_stop()
        client.disconnect()
    return received
