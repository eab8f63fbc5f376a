"""Running the agent runtime against a real broker in tests."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

from agents.config.loader import load_config
from agents.runtime.runtime import Runtime

COUNTER = "tests.agents.fakes:Counter"
SWITCH = "tests.agents.fakes:Switch"
FRAGILE = "tests.agents.fakes:Fragile"


def write_config(folder: Path, port: int, agents: str, extra: str = "") -> Path:
    """A node ``t`` publishing to 127.0.0.1:port; ``agents`` is the YAML list body (indented two spaces)."""
    path = folder / "perch.yaml"
    path.write_text(
        f"node: t\nstate_dir: {folder / 'state'}\nmqtt: {{host: 127.0.0.1, port: {port}, keepalive: 10s}}\n"
        f"{extra}agents:\n{agents}"
    )
    return path


@contextlib.contextmanager
def running(path: Path, simulate: bool = False) -> Iterator[Runtime]:
    """A started Runtime for the config at ``path`` (drivers here need no hardware)."""
    runtime = Runtime(load_config(path), hardware=SimpleNamespace(), simulate=simulate)
    runtime.start()
    try:
        yield runtime
    finally:
        runtime.stop()
