"""`perch broker`: flags over the config file, listening lines, exit code 2 for bad input."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
from pathlib import Path

from broker.cli import build_config

REPO = Path(__file__).resolve().parents[2]


def _args(**values) -> argparse.Namespace:
    defaults = {"config": None, "bind": None, "port": None, "ws_port": None, "max_keepalive": None}
    return argparse.Namespace(**{**defaults, **values})


def test_flags_override_the_config_file(tmp_path):
    path = tmp_path / "perch.yaml"
    path.write_text(
        "broker:\n  listeners: [{port: 1883}, {port: 9001, websockets: true}]\n  max_keepalive: 5\n"
    )
    config = build_config(_args(config=str(path), port=0, bind="0.0.0.0", max_keepalive=30))
    assert sorted((lst.port, lst.websockets, lst.bind) for lst in config.listeners) == [
        (0, False, "0.0.0.0"),
        (9001, True, "0.0.0.0"),
    ]
    assert config.max_keepalive == 30


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "perch", "broker", *args], cwd=REPO, capture_output=True, text=True, timeout=30
    )


def test_bad_config_exits_2_with_one_clear_line(tmp_path):
    path = tmp_path / "perch.yaml"
    path.write_text("broker:\n  max_keepalve: 5\n")
    result = _run("--config", str(path))
    assert result.returncode == 2
    assert "did you mean 'max_keepalive'" in result.stderr
    assert result.stdout == ""


def test_port_in_use_exits_2():
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    try:
        result = _run("--port", str(holder.getsockname()[1]))
    finally:
        holder.close()
    assert result.returncode == 2
    assert "cannot listen" in result.stderr


def test_log_level_comes_from_the_flag_over_the_config_file(tmp_path):
    path = tmp_path / "perch.yaml"
    path.write_text("broker:\n  log_level: error\n")
    assert build_config(_args(config=str(path))).log_level == "error"
    assert build_config(_args(config=str(path), log_level="warning")).log_level == "warning"
    assert build_config(_args(log_level="warning", verbose=True)).log_level == "debug"
    assert build_config(_args()).log_level == "info"


def test_an_unknown_log_level_in_the_config_is_bad_input(tmp_path):
    path = tmp_path / "perch.yaml"
    path.write_text("broker:\n  log_level: loud\n")
    result = _run("--config", str(path))
    assert result.returncode == 2
    assert "broker.log_level: expected one of debug, info, warning, error, got 'loud'" in result.stderr


def test_an_unknown_log_level_flag_is_refused_by_argparse():
    result = _run("--log-level", "loud")
    assert result.returncode == 2
    assert "invalid choice: 'loud'" in result.stderr
