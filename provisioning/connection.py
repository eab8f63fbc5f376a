"""Fabric connections with host-key checking on and sudo that needs no terminal.

Fabric trusts unknown host keys by default; Perch does not: the keys come from ``~/.ssh/known_hosts`` (or
``--known-hosts FILE``) and an unknown or changed key is refused (paramiko's ``RejectPolicy``). Commands
never read the local stdin (``in_stream: false``), so provisioning works from CI and cron as from a shell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from provisioning.errors import BadInputError

if TYPE_CHECKING:
    from fabric import Connection

TARGET = re.compile(r"^(?:(?P<user>[^@\s]+)@)?(?P<host>\[[0-9a-fA-F:.]+\]|[^:@\s\[\]]+)(?::(?P<port>\d+))?$")
DEFAULT_CONNECT_TIMEOUT = 10.0


@dataclass(frozen=True)
class SshOptions:
    """How to reach every host of one ``perch provision`` run."""

    key_file: Path | None = None
    known_hosts: Path | None = None
    port: int | None = None
    user: str | None = None
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    sudo_password: str | None = None


@dataclass(frozen=True)
class Target:
    """One host as given on the command line: ``[user@]host[:port]``."""

    user: str | None
    host: str
    port: int | None

    def __str__(self) -> str:
        user = f"{self.user}@" if self.user else ""
        port = f":{self.port}" if self.port else ""
        return f"{user}{self.host}{port}"


def parse_target(text: str) -> Target:
    match = TARGET.match(text)
    if match is None:
        raise BadInputError(f"{text!r} is not a host: expected [user@]host[:port]")
    port = int(match["port"]) if match["port"] else None
    if port is not None and not 0 < port < 65536:
        raise BadInputError(f"{text!r}: port must be 1-65535")
    return Target(match["user"], match["host"].strip("[]"), port)


def check_options(options: SshOptions) -> None:
    """Refuse missing files before any host is contacted."""
    for label, path in (("--key", options.key_file), ("--known-hosts", options.known_hosts)):
        if path is not None and not path.is_file():
            raise BadInputError(f"{label} {path}: no such file")


def open_connection(target: Target, options: SshOptions) -> Connection:
    """A Fabric connection to ``target`` that refuses unknown host keys (not yet connected)."""
    import paramiko
    from fabric import Config, Connection

    connect_kwargs: dict[str, object] = {"banner_timeout": options.connect_timeout}
    connect_kwargs["auth_timeout"] = options.connect_timeout
    if options.key_file is not None:
        # Only the given key: a wrong key must fail as such, not fall back to an agent's keys.
        connect_kwargs.update(key_filename=str(options.key_file), look_for_keys=False, allow_agent=False)
    overrides: dict[str, object] = {"run": {"in_stream": False}, "load_ssh_configs": False}
    if options.sudo_password is not None:
        overrides["sudo"] = {"password": options.sudo_password}
    connection = Connection(
        target.host,
        user=target.user or options.user,
        port=target.port or options.port or 22,
        connect_timeout=int(options.connect_timeout) or 1,
        connect_kwargs=connect_kwargs,
        config=Config(overrides=overrides),
    )
    if options.known_hosts is not None:
        connection.client.load_host_keys(str(options.known_hosts))
    else:
        connection.client.load_system_host_keys()
    connection.client.set_missing_host_key_policy(paramiko.RejectPolicy())
    return connection
