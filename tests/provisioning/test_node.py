"""`perch provision` end to end against a booted test Pi over real SSH: setup, idempotence, readings,
config push and agent add without a broker restart, status, logs, passwd, restart-only-what-changed."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.provisioning.testpi import SshKeys, TestPi, booted_test_pi, collect_readings

pytestmark = [pytest.mark.root, pytest.mark.slow]

NODE = "greenhouse"
CONFIG = """node: greenhouse
simulate: true
broker:
  listeners:
    - {port: 1883, bind: 0.0.0.0}
  allow_anonymous: true
mqtt: {host: localhost, port: 1883}
home_assistant: {discovery: false}
agents:
  - name: climate
    type: bme280
    address: 0x76
    interval: 1s
"""
SOIL_AGENT = """- name: soil
  type: sht3x
  address: 0x44
  interval: 1s
"""


@pytest.fixture(scope="module")
def config_file(pi_work_folder: Path) -> Path:
    path = pi_work_folder / "perch.yaml"
    path.write_text(CONFIG)
    return path


@pytest.fixture(scope="module")
def setup_run(
    pi_work_folder: Path, ssh_keys: SshKeys, wheel_folder: Path, config_file: Path
) -> Iterator[tuple]:
    """One test Pi, set up once for the module with ``setup CONFIG``; yields (pi, that run's result)."""
    with booted_test_pi(pi_work_folder, NODE, ssh_keys) as pi:
        result = pi.provision("setup", str(config_file), "--wheels", str(wheel_folder))
        assert result.returncode == 0, (
            result.stderr + result.stdout + pi.container.describe_failure("perch-broker", "perch-agents")
        )
        yield pi, result


@pytest.fixture
def pi(setup_run: tuple) -> TestPi:
    return setup_run[0]


def test_setup_reports_each_change_and_the_reboot(setup_run: tuple) -> None:
    pi, result = setup_run
    line = result.stdout.strip().splitlines()[-1]
    assert line.startswith(f"{pi.target}: ok, changed: ")
    for change in (
        "enabled I2C",
        "enabled SPI",
        "enabled 1-Wire",
        "user perch",
        "Perch installed in /opt/perch",
    ):
        assert change in line
    assert "REBOOT NEEDED" in line


def test_node_has_the_user_groups_interfaces_files_and_units(pi: TestPi, config_file: Path) -> None:
    assert set(pi.sh("id -nG perch").split()) >= {"perch", "gpio", "i2c", "spi"}
    assert pi.sh("getent passwd perch").strip().endswith(":/var/lib/perch:/usr/sbin/nologin")
    config_txt = pi.sh("cat /boot/firmware/config.txt").splitlines()
    assert {"dtparam=i2c_arm=on", "dtparam=spi=on", "dtoverlay=w1-gpio"} <= set(config_txt)
    assert "dtparam=audio=on" in config_txt  # the stock lines are kept
    assert "i2c-dev" in pi.sh("cat /etc/modules").splitlines()
    assert pi.sh(
        "stat -c '%U:%G %a' /etc/perch /etc/perch/agents.d /var/lib/perch /etc/perch/perch.yaml"
    ).split("\n")[:4] == ["root:perch 750", "root:perch 750", "perch:perch 750", "root:perch 640"]
    assert pi.sh("cat /etc/perch/perch.yaml") == config_file.read_text()
    assert pi.sh("test -s /etc/perch/agents.secret && echo yes").strip() == "yes"
    assert pi.sh("stat -c '%U:%G %a' /etc/perch/admin.secret").strip() == "root:root 600"
    assert "perch" in pi.sh("/opt/perch/bin/perch --help")
    for unit in ("perch-broker.service", "perch-agents.service"):
        assert pi.sh(f"systemctl is-enabled {unit}").strip() == "enabled"
        assert pi.container.unit_state(unit) == "active", pi.container.describe_failure(unit)
        assert pi.sh(f"systemctl show -p User --value {unit}").strip() == "perch"


def test_a_subscriber_on_this_host_receives_the_nodes_readings(pi: TestPi) -> None:
    wanted = {f"perch/{NODE}/climate/{quantity}" for quantity in ("temperature", "humidity", "pressure")}
    readings = collect_readings(pi.address, f"perch/{NODE}/#", wanted)
    assert wanted <= readings.keys(), readings
    assert 0 < float(readings[f"perch/{NODE}/climate/humidity"]) <= 100


def test_a_second_setup_changes_nothing(pi: TestPi, config_file: Path, wheel_folder: Path) -> None:
    pids = {unit: pi.main_pid(unit) for unit in ("perch-broker", "perch-agents")}
    result = pi.provision("setup", str(config_file), "--wheels", str(wheel_folder))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == f"{pi.target}: ok, no changes"
    assert {unit: pi.main_pid(unit) for unit in pids} == pids


def test_deploy_restarts_only_the_service_whose_unit_changed(pi: TestPi, wheel_folder: Path) -> None:
    broker_pid, agents_pid = pi.main_pid("perch-broker"), pi.main_pid("perch-agents")
    pi.sh("echo '# an older unit' >> /etc/systemd/system/perch-agents.service && systemctl daemon-reload")
    result = pi.provision("deploy", "--wheels", str(wheel_folder))
    assert result.returncode == 0, result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert "units perch-agents.service" in summary and "restarted perch-agents.service" in summary
    assert "perch-broker" not in summary
    assert "older unit" not in pi.sh("cat /etc/systemd/system/perch-agents.service")
    assert pi.main_pid("perch-broker") == broker_pid
    assert pi.main_pid("perch-agents") not in (0, agents_pid)


def test_config_push_of_a_new_agent_publishes_it_without_restarting_the_broker(
    pi: TestPi, pi_work_folder: Path
) -> None:
    broker_pid = pi.main_pid("perch-broker")
    pushed = pi_work_folder / "with-shed.yaml"
    pushed.write_text(CONFIG + "  - name: shed\n    type: bmp280\n    address: 0x77\n    interval: 1s\n")
    result = pi.provision("config", "push", str(pushed))
    assert result.returncode == 0, result.stderr
    assert "reloaded the agents" in result.stdout
    readings = collect_readings(pi.address, f"perch/{NODE}/shed/#", {f"perch/{NODE}/shed/temperature"})
    assert f"perch/{NODE}/shed/temperature" in readings
    assert pi.main_pid("perch-broker") == broker_pid
    again = pi.provision("config", "push", str(pushed))
    assert again.stdout.strip().splitlines()[-1] == f"{pi.target}: ok, no changes"


def test_agent_add_publishes_the_new_agent_without_restarting_the_broker(
    pi: TestPi, pi_work_folder: Path
) -> None:
    broker_pid = pi.main_pid("perch-broker")
    drop_in = pi_work_folder / "soil.yaml"
    drop_in.write_text(SOIL_AGENT)
    result = pi.provision("agent", "add", str(drop_in))
    assert result.returncode == 0, result.stderr
    assert pi.sh("cat /etc/perch/agents.d/soil.yaml") == SOIL_AGENT
    assert pi.sh("stat -c '%U:%G %a' /etc/perch/agents.d/soil.yaml").strip() == "root:perch 640"
    readings = collect_readings(pi.address, f"perch/{NODE}/soil/#", {f"perch/{NODE}/soil/humidity"})
    assert f"perch/{NODE}/soil/humidity" in readings
    assert pi.main_pid("perch-broker") == broker_pid


def node_state(pi: TestPi) -> tuple[str, str, int]:
    files = pi.sh("cat /etc/perch/perch.yaml; ls -l --time-style=+%s /etc/perch/agents.d")
    return (
        hashlib.sha256(files.encode()).hexdigest(),
        pi.sh("ls /etc/perch/agents.d"),
        pi.main_pid("perch-agents"),
    )


def test_an_invalid_config_is_refused_before_anything_changes(pi: TestPi, pi_work_folder: Path) -> None:
    before = node_state(pi)
    bad = pi_work_folder / "bad.yaml"
    bad.write_text(CONFIG.replace("type: bme280", "type: bme208"))
    result = pi.provision("config", "push", str(bad))
    assert result.returncode == 2
    assert f"{bad}:11:11: agents[0].type: unknown agent type 'bme208'" in result.stderr
    assert "did you mean 'bme280'" in result.stderr
    assert node_state(pi) == before


def test_a_drop_in_clashing_with_the_nodes_agents_is_refused(pi: TestPi, pi_work_folder: Path) -> None:
    before = node_state(pi)
    clash = pi_work_folder / "clash.yaml"
    clash.write_text("- name: climate\n  type: sht4x\n")
    result = pi.provision("agent", "add", str(clash))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "agent name 'climate' is used twice" in result.stderr
    assert f"{pi.address}:/etc/perch/perch.yaml" in result.stderr  # where the first one is
    assert node_state(pi) == before


def test_status_shows_services_version_and_latest_readings(pi: TestPi) -> None:
    result = pi.provision("status")
    assert result.returncode == 0, result.stderr
    lines = [line.removeprefix(f"{pi.target}: ") for line in result.stdout.splitlines()]
    assert f"perch-broker.service: active (running), pid {pi.main_pid('perch-broker')}" in lines
    assert f"perch-agents.service: active (running), pid {pi.main_pid('perch-agents')}" in lines
    assert "perch 0.1.0" in lines
    assert any(line.startswith(f"  perch/{NODE}/climate/temperature ") for line in lines)


def test_logs_show_the_journal_of_both_services(pi: TestPi) -> None:
    result = pi.provision("logs", "-n", "200")
    assert result.returncode == 0, result.stderr
    assert "perch-broker" in result.stdout or "perch broker" in result.stdout
    assert "perch-agents" in result.stdout or "perch agents" in result.stdout


def test_passwd_adds_a_broker_user_the_nodes_password_file_accepts(pi: TestPi, pi_work_folder: Path) -> None:
    secret = pi_work_folder / "watcher.secret"
    secret.write_text("s3cret phone\n")
    result = pi.provision("passwd", "watcher", "--password-file", str(secret))
    assert result.returncode == 0, result.stderr
    assert pi.sh("stat -c '%U:%G %a' /etc/perch/passwd").strip() == "root:perch 640"
    check = (
        "from broker.auth.passwords import PasswordFile as P; f = P.load('/etc/perch/passwd'); "
        "print(f.verify('watcher', 's3cret phone'), f.verify('watcher', 'wrong'))"
    )
    assert pi.sh(f'/opt/perch/bin/python -c "{check}"').strip() == "True False"
    assert "s3cret" not in pi.sh("journalctl --no-pager -n 300")  # never on a command line sudo logs
    deleted = pi.provision("passwd", "watcher", "-D")
    assert deleted.returncode == 0, deleted.stderr
    assert "watcher:" not in pi.sh("cat /etc/perch/passwd")
