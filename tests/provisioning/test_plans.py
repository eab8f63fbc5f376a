"""From command-line words to a plan: hosts and task split, each task's arguments checked locally."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.config.loader import load_config
from provisioning.errors import BadInputError
from provisioning.plans import Plan, build_plan, split_hosts_and_task
from provisioning.results import TaskResult

STARTER = Path(__file__).resolve().parents[2] / "provisioning" / "starter.yaml"


@pytest.mark.parametrize(
    ("words", "hosts", "task"),
    [
        (["pi@a"], ["pi@a"], ["setup"]),  # the one-liner: no task is setup
        (["pi@a", "pi@b", "status"], ["pi@a", "pi@b"], ["status"]),
        (["a", "config", "push", "f.yaml"], ["a"], ["config", "push", "f.yaml"]),
        (["a", "logs", "-n", "5"], ["a"], ["logs", "-n", "5"]),
    ],
)
def test_hosts_come_before_the_task(words: list[str], hosts: list[str], task: list[str]) -> None:
    assert split_hosts_and_task(words) == (hosts, task)


@pytest.fixture
def wheel_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "wheels"
    folder.mkdir()
    for name in ("perch-0.1.0-py3-none-any.whl", "pip-26.0-py3-none-any.whl"):
        (folder / name).write_bytes(b"")
    return folder


def step_names(plan: Plan) -> list[str]:
    try:
        return [getattr(step, "func", step).__name__ for step in plan.steps]
    finally:
        plan.close()


def test_setup_bootstraps_pushes_the_config_then_deploys(tmp_path: Path, wheel_folder: Path) -> None:
    config = tmp_path / "perch.yaml"
    config.write_text(STARTER.read_text())
    plan = build_plan(["setup", str(config), "--wheels", str(wheel_folder)])
    assert step_names(plan) == ["bootstrap", "push_config", "deploy"]
    assert step_names(build_plan(["setup", "--wheels", str(wheel_folder)])) == ["bootstrap", "deploy"]


def test_setup_refuses_an_invalid_config_before_any_host(tmp_path: Path) -> None:
    config = tmp_path / "perch.yaml"
    config.write_text("node: bad node\n")
    with pytest.raises(BadInputError, match=r"perch.yaml:1:7: node: "):
        build_plan(["setup", str(config)])


def test_a_wheel_folder_needs_perch_and_pip(tmp_path: Path) -> None:
    (tmp_path / "perch-0.1.0-py3-none-any.whl").write_bytes(b"")
    with pytest.raises(BadInputError, match="no pip-"):
        build_plan(["deploy", "--wheels", str(tmp_path)])


def test_the_starter_config_is_valid() -> None:
    config = load_config(STARTER)
    assert config.agents == [] and config.mqtt.username == "agents"
    assert {listener["port"] for listener in config.broker["listeners"]} == {1883, 9001}


def test_results_merge_in_order_and_summarise() -> None:
    first = TaskResult(changes=["user perch"], notes=["a"], output="x\n", reboot_needed=True)
    merged = first.merge(TaskResult(changes=["units"], output="y\n"))
    assert merged.changes == ["user perch", "units"] and merged.output == "x\ny\n" and merged.reboot_needed
    assert merged.summary().startswith("changed: user perch, units; REBOOT NEEDED")
    assert TaskResult().summary() == "no changes" and not TaskResult().changed
