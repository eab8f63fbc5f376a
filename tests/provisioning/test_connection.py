"""Targets on the command line, and the Fabric connection's host-key policy."""

from __future__ import annotations

from pathlib import Path

import paramiko
import pytest

from provisioning.connection import SshOptions, Target, open_connection, parse_target
from provisioning.errors import BadInputError


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("raspberrypi.local", Target(None, "raspberrypi.local", None)),
        ("pi@greenhouse.local", Target("pi", "greenhouse.local", None)),
        ("pi@10.0.0.7:2222", Target("pi", "10.0.0.7", 2222)),
        ("pi@[fe80::1]:22", Target("pi", "fe80::1", 22)),
    ],
)
def test_targets_are_user_host_and_port(text: str, target: Target) -> None:
    assert parse_target(text) == target


@pytest.mark.parametrize("text", ["", "pi@", "a b", "pi@host:0", "pi@host:x"])
def test_bad_targets_are_refused(text: str) -> None:
    with pytest.raises(BadInputError):
        parse_target(text)


def test_unknown_host_keys_are_rejected_and_known_ones_loaded(tmp_path: Path) -> None:
    key = paramiko.Ed25519Key.from_private_key_file  # noqa: F841 - paramiko is importable
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(
        "pi.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHQhvmSVHu1OlWPHp9x/xuVzPdIrWmdRZRMKc6KCBzOb\n"
    )
    connection = open_connection(
        parse_target("pi@pi.example"), SshOptions(known_hosts=known_hosts, port=2200)
    )
    assert isinstance(connection.client._policy, paramiko.RejectPolicy)
    assert "pi.example" in connection.client.get_host_keys()
    assert connection.port == 2200 and connection.user == "pi"
    assert connection.config.run.in_stream is False  # sudo and run work without a terminal
