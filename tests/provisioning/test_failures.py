"""`perch provision` when things are not as they should be: unreachable hosts, wrong keys, unknown or
changed host keys, a user without sudo, several hosts of which one fails; and bootstrap on a Pi that
has raspi-config."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.provisioning.testpi import ADMIN_SUDO_PASSWORD, SshKeys, TestPi, booted_test_pi, run_provision

pytestmark = [pytest.mark.root, pytest.mark.slow]

FAKE_RASPI_CONFIG = Path(__file__).with_name("fake_raspi_config.sh")
CLOSED_PORT_TARGET = "pi@127.0.0.1:1"
STARTER = Path(__file__).resolve().parents[2] / "provisioning" / "starter.yaml"


def install_fake_raspi_config(root: Path) -> None:
    shutil.copy(FAKE_RASPI_CONFIG, root / "usr/bin/raspi-config")
    (root / "usr/bin/raspi-config").chmod(0o755)


@pytest.fixture(scope="module")
def pi(pi_work_folder: Path, ssh_keys: SshKeys) -> Iterator[TestPi]:
    with booted_test_pi(pi_work_folder, "shed", ssh_keys, customize=install_fake_raspi_config) as booted:
        yield booted


def one_error_line(stderr: str, target: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"{target}: error: ")
    return lines[0]


def test_a_wrong_key_is_a_clear_login_error(pi: TestPi) -> None:
    result = pi.provision("status", key=pi.keys.wrong_key)
    assert result.returncode == 1
    assert "SSH login refused" in one_error_line(result.stderr, pi.target)
    assert "wrong user or key" in result.stderr


def test_an_unknown_host_key_is_refused(pi: TestPi, pi_work_folder: Path) -> None:
    empty = pi_work_folder / "known_hosts-empty"
    empty.write_text("")
    result = run_provision("--key", str(pi.keys.key), "--known-hosts", str(empty), pi.target, "bootstrap")
    assert result.returncode == 1
    assert "is not in known_hosts" in one_error_line(result.stderr, pi.target)
    assert pi.sh("getent passwd perch", check=False) == ""  # nothing ran


def test_a_changed_host_key_is_refused(pi: TestPi, pi_work_folder: Path) -> None:
    impostor = pi_work_folder / "known_hosts-impostor"
    stranger_key = " ".join(pi.keys.wrong_key.with_suffix(".pub").read_text().split()[:2])
    impostor.write_text(f"{pi.address} {stranger_key}\n")
    result = run_provision("--key", str(pi.keys.key), "--known-hosts", str(impostor), pi.target, "bootstrap")
    assert result.returncode == 1
    assert "does NOT match known_hosts" in one_error_line(result.stderr, pi.target)


def test_a_user_without_sudo_gets_a_clear_error_and_nothing_changes(pi: TestPi) -> None:
    target = f"guest@{pi.address}"
    result = pi.provision("bootstrap", target=target)
    assert result.returncode == 1
    line = one_error_line(result.stderr, target)
    assert "sudo failed for guest:" in line and "password is required" in line
    assert pi.sh("getent passwd perch", check=False) == ""


@pytest.mark.parametrize(("password", "code"), [(ADMIN_SUDO_PASSWORD, 0), ("not-it", 1)])
def test_sudo_with_a_password_works_without_a_terminal(pi: TestPi, password: str, code: int) -> None:
    target = f"admin@{pi.address}"
    result = run_provision(
        "--key", str(pi.keys.key), "--known-hosts", str(pi.known_hosts),
        "--ask-sudo-password", target, "logs", stdin=password + "\n",
    )  # fmt: skip
    assert result.returncode == code, result.stderr
    if code:
        assert "sudo failed for admin: the sudo password was refused" in result.stderr
    else:
        assert result.stdout.strip().splitlines()[-1] == f"{target}: ok, no changes"


def test_one_unreachable_host_does_not_stop_the_others(pi: TestPi) -> None:
    result = run_provision(
        "--key", str(pi.keys.key), "--known-hosts", str(pi.known_hosts), "--timeout", "5",
        CLOSED_PORT_TARGET, pi.target, "status",
    )  # fmt: skip
    assert result.returncode == 1
    assert f"{CLOSED_PORT_TARGET}: error: unreachable: connection refused" in result.stderr
    assert f"{pi.target}: perch: not deployed" in result.stdout
    assert f"{pi.target}: ok, no changes" in result.stdout


def test_bootstrap_uses_raspi_config_where_it_exists_and_runs_once(pi: TestPi) -> None:
    first = pi.provision("bootstrap")
    assert first.returncode == 0, first.stderr
    calls = pi.sh("cat /var/log/raspi-config.calls").splitlines()
    assert {"nonint do_i2c 0", "nonint do_spi 0", "nonint do_onewire 0"} <= set(calls)
    assert "REBOOT NEEDED" in first.stdout
    config_txt = pi.sh("cat /boot/firmware/config.txt").splitlines()
    assert config_txt.count("dtparam=i2c_arm=on") == 1
    second = pi.provision("bootstrap")
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip().splitlines()[-1] == f"{pi.target}: ok, no changes"
    later_calls = pi.sh("cat /var/log/raspi-config.calls").splitlines()[len(calls) :]
    assert later_calls and all(call.startswith("nonint get_") for call in later_calls)
    assert pi.sh("cat /boot/firmware/config.txt").splitlines() == config_txt


def test_setup_without_a_config_runs_the_node_on_the_starter_config(pi: TestPi, wheel_folder: Path) -> None:
    """The README's one-liner: bootstrap and deploy with no config of the user's (after the test above)."""
    result = pi.provision("setup", "--wheels", str(wheel_folder))
    assert result.returncode == 0, result.stderr
    assert pi.sh("cat /etc/perch/perch.yaml") == STARTER.read_text()
    for unit in ("perch-broker.service", "perch-agents.service"):
        assert pi.container.wait_for_unit(unit) == "active", pi.container.describe_failure(unit)
    assert "under perch/shed/" in pi.container.journal("perch-agents.service")  # the host name is the node
