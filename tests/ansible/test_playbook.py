"""The playbook against two test Pis at once over real SSH: both become Perch nodes publishing readings,
a second run reports changed=0, and a changed agent list reloads the agents without restarting the broker."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.provisioning.testpi import SshKeys, TestPi, booted_test_pi, collect_readings

pytestmark = [pytest.mark.root, pytest.mark.slow]

ANSIBLE_FOLDER = Path(__file__).resolve().parents[2] / "ansible"
PLAYBOOK_TIMEOUT_SECONDS = 300
RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE)
AGENTS = {
    "greenhouse": [{"name": "climate", "type": "bme280", "address": 0x76, "interval": "1s"}],
    "shed": [{"name": "freezer", "type": "sht3x", "address": 0x44, "interval": "1s"}],
}


@pytest.fixture(scope="module")
def fleet(pi_work_folder: Path, ssh_keys: SshKeys) -> Iterator[dict[str, TestPi]]:
    with (
        booted_test_pi(pi_work_folder, "greenhouse", ssh_keys) as greenhouse,
        booted_test_pi(pi_work_folder, "shed", ssh_keys) as shed,
    ):
        yield {"greenhouse": greenhouse, "shed": shed}


def write_inventory(folder: Path, fleet: dict[str, TestPi], wheels: Path, agents: dict[str, list]) -> Path:
    known_hosts = folder / "known_hosts-fleet"
    known_hosts.write_text("".join(pi.known_hosts.read_text() for pi in fleet.values()))
    any_pi = next(iter(fleet.values()))
    group_vars = {
        "ansible_user": "pi",
        "ansible_ssh_private_key_file": str(any_pi.keys.key),
        "ansible_ssh_common_args": f"-o UserKnownHostsFile={known_hosts} -o StrictHostKeyChecking=yes "
        "-o IdentitiesOnly=yes",
        "perch_base_wheel_dir": str(wheels),
        "perch_broker_simulate": True,
        "perch_broker_allow_anonymous": True,
        "perch_broker_listeners": [{"port": 1883, "bind": "0.0.0.0"}],
        "perch_broker_agents_mqtt": {"host": "localhost", "port": 1883},
        "perch_broker_home_assistant": {"discovery": False},
    }
    hosts = {
        name: {"ansible_host": pi.address, "perch_agents_list": agents[name]} for name, pi in fleet.items()
    }
    inventory = {"all": {"children": {"perch_nodes": {"vars": group_vars, "hosts": hosts}}}}
    path = folder / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory, sort_keys=False))
    return path


def run_playbook(inventory: Path) -> dict[str, dict[str, int]]:
    """Run site.yml; returns the recap per host ({"changed": N, "failed": N, ...})."""
    environment = dict(
        os.environ,
        ANSIBLE_CONFIG=str(ANSIBLE_FOLDER / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
        # Short-lived SSH masters: a lingering session would hold up the test Pi's shutdown.
        ANSIBLE_SSH_ARGS="-o ControlMaster=auto -o ControlPersist=2s",
        ANSIBLE_LOCAL_TEMP=str(inventory.parent / "ansible-tmp"),
        PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    )
    result = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory), "site.yml"],
        cwd=ANSIBLE_FOLDER, capture_output=True, text=True, timeout=PLAYBOOK_TIMEOUT_SECONDS, env=environment,
    )  # fmt: skip
    recap = {
        host: {"ok": int(ok), "changed": int(changed), "unreachable": int(unreachable), "failed": int(failed)}
        for host, ok, changed, unreachable, failed in RECAP.findall(result.stdout)
    }
    assert result.returncode == 0 and recap, result.stdout[-6000:] + result.stderr[-3000:]
    return recap


@pytest.fixture(scope="module")
def first_run(
    fleet: dict[str, TestPi], pi_work_folder: Path, wheel_folder: Path
) -> dict[str, dict[str, int]]:
    return run_playbook(write_inventory(pi_work_folder, fleet, wheel_folder, AGENTS))


def test_the_first_run_makes_both_pis_perch_nodes(fleet: dict[str, TestPi], first_run: dict) -> None:
    assert set(first_run) == {"greenhouse", "shed"}
    for name, pi in fleet.items():
        assert first_run[name]["failed"] == 0 and first_run[name]["changed"] > 0
        assert set(pi.sh("id -nG perch").split()) >= {"perch", "gpio", "i2c", "spi"}
        assert "dtparam=i2c_arm=on" in pi.sh("cat /boot/firmware/config.txt").splitlines()
        assert f"node: {name}" in pi.sh("cat /etc/perch/perch.yaml")
        assert pi.sh("stat -c '%U:%G %a' /etc/perch/admin.secret").strip() == "root:root 600"
        assert f"name: {AGENTS[name][0]['name']}" in pi.sh("cat /etc/perch/agents.d/ansible.yaml")
        for unit in ("perch-broker.service", "perch-agents.service"):
            assert pi.sh(f"systemctl is-enabled {unit}").strip() == "enabled"
            assert pi.container.unit_state(unit) == "active", pi.container.describe_failure(unit)


def test_both_pis_publish_their_readings(fleet: dict[str, TestPi], first_run: dict) -> None:
    for name, topic in (("greenhouse", "climate/temperature"), ("shed", "freezer/humidity")):
        wanted = f"perch/{name}/{topic}"
        assert wanted in collect_readings(fleet[name].address, f"perch/{name}/#", {wanted})


def test_a_second_run_changes_nothing(
    fleet: dict[str, TestPi], first_run: dict, pi_work_folder: Path
) -> None:
    pids = {name: pi.main_pid("perch-broker") for name, pi in fleet.items()}
    recap = run_playbook(pi_work_folder / "inventory.yml")
    assert {name: recap[name]["changed"] for name in fleet} == {"greenhouse": 0, "shed": 0}
    assert {name: pi.main_pid("perch-broker") for name, pi in fleet.items()} == pids


def test_a_new_agent_reloads_the_agents_without_restarting_the_broker(
    fleet: dict[str, TestPi], first_run: dict, pi_work_folder: Path, wheel_folder: Path
) -> None:
    greenhouse = fleet["greenhouse"]
    broker_pid = greenhouse.main_pid("perch-broker")
    agents = dict(
        AGENTS, greenhouse=[*AGENTS["greenhouse"], {"name": "soil", "type": "sht4x", "interval": "1s"}]
    )
    recap = run_playbook(write_inventory(pi_work_folder, fleet, wheel_folder, agents))
    assert recap["greenhouse"]["changed"] == 2  # the drop-in file, and its handler reloading the agents
    assert recap["shed"]["changed"] == 0
    wanted = "perch/greenhouse/soil/temperature"
    assert wanted in collect_readings(greenhouse.address, "perch/greenhouse/soil/#", {wanted})
    assert greenhouse.main_pid("perch-broker") == broker_pid
