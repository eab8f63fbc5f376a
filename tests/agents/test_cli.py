"""The agents' `perch` subcommands as a user runs them."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from agents.config.manual import render_reference
from tests.agents.fakes import Recorder, wait_until
from tests.agents.runtime.helpers import COUNTER, write_config

REPO = Path(__file__).resolve().parents[2]


def perch(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "perch", *args], cwd=REPO, capture_output=True, text=True, timeout=60
    )


def test_check_accepts_a_good_file():
    result = perch("check", "examples/demo.yaml")
    assert result.returncode == 0, result.stderr
    assert "examples/demo.yaml: ok, node demo" in result.stdout


def test_check_exits_2_and_prints_every_error(tmp_path):
    bad = tmp_path / "perch.yaml"
    bad.write_text(
        "node: n\nagents:\n  - {name: a, type: bme28O, address: 0x99}\n  - {name: b, type: relay}\n"
    )
    result = perch("check", str(bad))
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert f"{bad}:3:21: agents[0].type: unknown agent type 'bme28O' (did you mean 'bme280'?)" in lines
    assert f"{bad}:4:5: agents[1]: missing required option 'pin'" in lines
    assert lines[-1] == "2 error(s) in the config"


def test_check_of_a_missing_file_exits_2(tmp_path):
    result = perch("check", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2
    assert "cannot read" in result.stderr


def test_check_reference_prints_the_generated_docs():
    result = perch("check", "--reference")
    assert result.returncode == 0
    assert result.stdout == render_reference()


def test_perch_agents_runs_reloads_on_sighup_and_stops_on_sigterm(perch, tmp_path):
    agents = f'  - {{name: one, module: "{COUNTER}", interval: 100ms}}\n'
    path = write_config(tmp_path, perch.port, agents)
    process = subprocess.Popen([sys.executable, "-m", "perch", "agents", "--config", str(path)], cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        with Recorder(perch.port, "perch/t/+/count") as live:
            wait_until(lambda: live.latest("perch/t/one/count"), what="readings from perch agents")
            path.write_text(path.read_text() + agents.replace("one", "two"))
            process.send_signal(signal.SIGHUP)
            wait_until(lambda: live.latest("perch/t/two/count"), what="the agent added by SIGHUP reload")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "config reloaded: added two" in process.stderr.read()


def test_perch_agents_exits_2_on_a_bad_config(tmp_path):
    path = tmp_path / "perch.yaml"
    path.write_text("agents: 3\n")
    result = perch("agents", "--config", str(path))
    assert result.returncode == 2
    assert f"{path}:1:9: agents: expected a list of agents" in result.stderr


@pytest.mark.slow
def test_perch_demo_starts_publishes_and_stops_on_ctrl_c(tmp_path):
    log = tmp_path / "demo.out"
    config = tmp_path / "demo.yaml"  # the example, with its state (spool, emulated sysfs) kept in tmp_path
    example = (REPO / "examples" / "demo.yaml").read_text()
    config.write_text(example.replace("state_dir: /tmp/perch-demo", f"state_dir: {tmp_path / 'state'}"))
    command = [
        sys.executable,
        "-m",
        "perch",
        "demo",
        "--config",
        str(config),
        "--port",
        "0",
        "--refresh",
        "0.5",
    ]
    with log.open("w") as stdout:
        process = subprocess.Popen(command, cwd=REPO, stdout=stdout, stderr=subprocess.PIPE, text=True)
    try:
        found = wait_until(
            lambda: re.search(r"listening mqtt://[\d.]+:(\d+)", log.read_text()), 30, "port line"
        )
        port = int(found.group(1))
        with Recorder(port, "perch/demo/#") as live:
            wait_until(lambda: live.latest("perch/demo/climate/temperature"), what="demo readings")
            wait_until(lambda: live.latest("perch/demo/fan/state") == "OFF", what="the demo relay")
            assert 10 < float(live.latest("perch/demo/climate/temperature")) < 40
        wait_until(
            lambda: re.search(r"demo\s+climate\s+temperature\s+\d", log.read_text()), what="live table"
        )
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=30)
        assert process.returncode == 0, errors
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    output = log.read_text()
    assert "Android" in output and f"port {port}" in output
    assert [path.name for path in (tmp_path / "state").iterdir()] == ["spool.sqlite"], "emulations cleaned up"


def test_scan_without_an_i2c_bus_says_why(tmp_path):
    # Linux numbers I2C adapters from 0; no machine has 9999 buses, so this never depends on the host.
    assert not os.path.exists("/dev/i2c-9999")
    result = perch("scan", "9999")
    assert result.returncode == 1
    assert "I2C bus 9999 not found" in result.stderr


def test_scan_of_an_emulated_bus_proposes_yaml():
    result = perch("scan", "--simulate", "examples/demo.yaml")
    assert result.returncode == 0, result.stderr
    assert "0x76  bme280" in result.stdout
    assert "    type: sht3x\n    bus: 1\n    address: 0x44" in result.stdout


def test_perch_agents_explains_an_unreadable_password_file(tmp_path):
    path = tmp_path / "perch.yaml"
    path.write_text(f"state_dir: {tmp_path}\nmqtt: {{username: agents, password_file: {tmp_path}/absent}}\n")
    result = perch("agents", "--config", str(path))
    assert result.returncode == 1
    assert f"perch agents: [Errno 2] No such file or directory: '{tmp_path}/absent'" in result.stderr
