"""Who gets in: Perch's LoginPolicy against the same table run on a real Mosquitto 2.0."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from broker.auth.login import LoginPolicy
from broker.auth.passwords import PasswordFile
from tests.support.brokers import mosquitto_broker
from tests.support.tools import require_tool

RUN_AS_CURRENT_USER = "user root\n" if os.geteuid() == 0 else ""  # Mosquitto drops root for "mosquitto"

# (allow_anonymous, with a password file)
SETTINGS = [(True, False), (False, False), (True, True), (False, True)]
# (username, password)
CREDENTIALS = [(None, None), ("alice", "secret"), ("alice", "wrong"), ("alice", None), ("nobody", "secret")]


def expected(allow_anonymous: bool, with_file: bool, username: str | None, password: str | None) -> bool:
    """The rule written out case by case, independently of LoginPolicy's code."""
    if username is None:
        return allow_anonymous
    if not with_file:
        return allow_anonymous
    return username == "alice" and password == "secret"


def passwords() -> PasswordFile:
    made = PasswordFile()
    made.set("alice", "secret")
    return made


@pytest.mark.parametrize(("allow_anonymous", "with_file"), SETTINGS)
@pytest.mark.parametrize(("username", "password"), CREDENTIALS)
def test_login_table(
    allow_anonymous: bool, with_file: bool, username: str | None, password: str | None
) -> None:
    policy = LoginPolicy(allow_anonymous, passwords() if with_file else None)
    assert policy.accepts(username, password) is expected(allow_anonymous, with_file, username, password)


@pytest.mark.interop
@pytest.mark.parametrize(("allow_anonymous", "with_file"), SETTINGS)
def test_mosquitto_agrees(tmp_path: Path, allow_anonymous: bool, with_file: bool) -> None:
    publish = require_tool("mosquitto_pub", "mosquitto-clients")
    config = f"{RUN_AS_CURRENT_USER}allow_anonymous {'true' if allow_anonymous else 'false'}\n"
    if with_file:
        passwords().save(tmp_path / "passwd")
        config += f"password_file {tmp_path / 'passwd'}\n"
    with mosquitto_broker(extra_config=config) as broker:
        for username, password in CREDENTIALS:
            command = [publish, "-h", "127.0.0.1", "-p", str(broker.port), "-t", "t", "-m", "1", "-V", "5"]
            command += ["-u", username] if username is not None else []
            command += ["-P", password] if password is not None else []
            result = subprocess.run(command, capture_output=True, text=True, timeout=10)
            accepted = result.returncode == 0
            assert accepted is expected(allow_anonymous, with_file, username, password), (username, password)
            if not accepted:
                assert result.returncode == 0x87, result.stderr  # MQTT 5 CONNACK "Not authorized"
