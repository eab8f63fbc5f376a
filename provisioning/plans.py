"""From the words after the hosts (``config push perch.yaml``) to a checked plan for every host.

Everything that can be checked without a node is checked here, before any connection: files exist,
configs validate as ``perch check`` validates them, passwords are read once.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from provisioning.errors import BadInputError
from provisioning.results import TaskResult
from provisioning.wheels import WheelSource, check_wheel_folder

if TYPE_CHECKING:
    from fabric import Connection

TASK_WORDS = ("wheels", "setup", "bootstrap", "deploy", "config", "agent", "status", "logs", "passwd")
Step = Callable[["Connection"], TaskResult]


@dataclass
class Plan:
    """What to run on each host: the steps in order, and what to say while doing it."""

    title: str
    steps: list[Step]
    wheels: WheelSource | None = None

    def run(self, connection: Connection) -> TaskResult:
        result = TaskResult()
        for step in self.steps:
            result = result.merge(step(connection))
        return result

    def close(self) -> None:
        if self.wheels is not None:
            self.wheels.close()


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise BadInputError(f"{self.prog}: {message}")


def task_parser(name: str) -> _Parser:
    return _Parser(prog=f"perch provision HOST {name}", add_help=False)


def split_hosts_and_task(words: list[str]) -> tuple[list[str], list[str]]:
    """``[h1, h2, 'config', 'push', 'f']`` -> ``([h1, h2], ['config', 'push', 'f'])``; no task is setup."""
    for index, word in enumerate(words):
        if word in TASK_WORDS:
            return words[:index], words[index:]
    return words, ["setup"]


def build_plan(task_words: list[str]) -> Plan:
    name, arguments = task_words[0], task_words[1:]
    if name in ("config", "agent"):
        expected = "push" if name == "config" else "add"
        if not arguments or arguments[0] != expected:
            raise BadInputError(f"expected `{name} {expected} FILE`")
        name, arguments = f"{name} {expected}", arguments[1:]
    builders = {
        "setup": _setup_plan,
        "bootstrap": _bootstrap_plan,
        "deploy": _deploy_plan,
        "config push": _config_push_plan,
        "agent add": _agent_add_plan,
        "status": _status_plan,
        "logs": _logs_plan,
        "passwd": _passwd_plan,
    }
    return builders[name](arguments)


def _no_arguments(name: str, arguments: list[str]) -> None:
    if arguments:
        raise BadInputError(f"{name} takes no arguments (got {' '.join(arguments)})")


def _bootstrap_plan(arguments: list[str]) -> Plan:
    from provisioning.tasks.bootstrap import bootstrap

    _no_arguments("bootstrap", arguments)
    return Plan("bootstrap", [bootstrap])


def _wheel_source(folder: Path | None) -> WheelSource:
    if folder is not None:
        check_wheel_folder(folder)
    return WheelSource(folder)


def _deploy_plan(arguments: list[str]) -> Plan:
    from provisioning.tasks.deploy import deploy

    parser = task_parser("deploy")
    parser.add_argument("--wheels", type=Path)
    wheels = _wheel_source(parser.parse_args(arguments).wheels)
    return Plan("deploy", [partial(deploy, wheels=wheels)], wheels)


def _setup_plan(arguments: list[str]) -> Plan:
    """bootstrap, then (if a config file is given) config push, then deploy."""
    from provisioning.tasks.bootstrap import bootstrap
    from provisioning.tasks.config import push_config
    from provisioning.tasks.deploy import deploy
    from provisioning.validation import check_config_file

    parser = task_parser("setup")
    parser.add_argument("config", nargs="?", type=Path)
    parser.add_argument("--wheels", type=Path)
    parsed = parser.parse_args(arguments)
    steps: list[Step] = [bootstrap]
    if parsed.config is not None:
        check_config_file(parsed.config)
        steps.append(partial(push_config, path=parsed.config))
    wheels = _wheel_source(parsed.wheels)
    steps.append(partial(deploy, wheels=wheels))
    return Plan("setup", steps, wheels)


def _config_push_plan(arguments: list[str]) -> Plan:
    from provisioning.tasks.config import push_config
    from provisioning.validation import check_config_file

    parser = task_parser("config push")
    parser.add_argument("file", type=Path)
    path = parser.parse_args(arguments).file
    check_config_file(path)
    return Plan("config push", [partial(push_config, path=path)])


def _agent_add_plan(arguments: list[str]) -> Plan:
    from provisioning.tasks.config import add_agent
    from provisioning.validation import check_drop_in_file

    parser = task_parser("agent add")
    parser.add_argument("file", type=Path)
    path = parser.parse_args(arguments).file
    check_drop_in_file(path)
    return Plan("agent add", [partial(add_agent, path=path)])


def _status_plan(arguments: list[str]) -> Plan:
    from provisioning.tasks.inspect import status

    _no_arguments("status", arguments)
    return Plan("status", [status])


def _logs_plan(arguments: list[str]) -> Plan:
    from provisioning.tasks.inspect import logs

    parser = task_parser("logs")
    parser.add_argument("-n", "--lines", type=int, default=50)
    lines = parser.parse_args(arguments).lines
    if lines < 1:
        raise BadInputError("logs -n: expected a positive number of lines")
    return Plan("logs", [partial(logs, lines=lines)])


def _passwd_plan(arguments: list[str]) -> Plan:
    from provisioning.tasks.passwd import delete_user, set_password

    parser = task_parser("passwd")
    parser.add_argument("username")
    parser.add_argument("-D", "--delete", action="store_true")
    parser.add_argument("--password-file", type=Path)
    parsed = parser.parse_args(arguments)
    if parsed.delete:
        return Plan("passwd -D", [partial(delete_user, username=parsed.username)])
    password = _read_password(parsed.password_file)
    return Plan("passwd", [partial(set_password, username=parsed.username, password=password)])


def _read_password(path: Path | None) -> str:
    """From ``--password-file`` (first line), else asked twice on the terminal (or two stdin lines)."""
    if path is not None:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise BadInputError(f"--password-file {path}: {error.strerror}") from None
        password = lines[0] if lines else ""
    elif sys.stdin.isatty():
        password = getpass.getpass("Broker password: ")
        if getpass.getpass("Again: ") != password:
            raise BadInputError("the passwords do not match")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise BadInputError("the password must not be empty")
    return password
