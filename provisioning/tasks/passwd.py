"""``passwd USER``: add, change or delete a broker user on the node with the node's own ``perch passwd``.

The password travels on the SSH channel's stdin (two lines, as ``perch passwd`` reads them without a
terminal), never on a command line where other users of the node could see it in ``ps``.
"""

from __future__ import annotations

import io
import shlex
from typing import TYPE_CHECKING

from provisioning.errors import ProvisionError
from provisioning.remote import as_root
from provisioning.results import TaskResult
from provisioning.tasks.deploy import VENV

if TYPE_CHECKING:
    from fabric import Connection

PASSWORD_FILE = "/etc/perch/passwd"


def set_password(connection: Connection, username: str, password: str) -> TaskResult:
    """Set ``username``'s broker password (creating the password file if the node has none)."""
    exists = as_root(connection, f"test -f {PASSWORD_FILE}", check=False).exited == 0
    create = "" if exists else "-c "
    command = f"{VENV}/bin/perch passwd {create}{PASSWORD_FILE} {shlex.quote(username)}"
    _run_perch_passwd(connection, command, in_stream=io.StringIO(f"{password}\n{password}\n"))
    return TaskResult(changes=[f"broker user {username}"], notes=_reload_note())


def delete_user(connection: Connection, username: str) -> TaskResult:
    command = f"{VENV}/bin/perch passwd -D {PASSWORD_FILE} {shlex.quote(username)}"
    _run_perch_passwd(connection, command)
    return TaskResult(changes=[f"deleted broker user {username}"], notes=_reload_note())


def _run_perch_passwd(connection: Connection, command: str, **kwargs: object) -> None:
    if as_root(connection, f"test -x {VENV}/bin/perch", check=False).exited != 0:
        raise ProvisionError(f"Perch is not deployed on {connection.host}: run the deploy task first")
    result = as_root(connection, command, check=False, **kwargs)
    if result.exited != 0:
        message = (result.stderr.strip() or result.stdout.strip()).splitlines()
        raise ProvisionError(message[-1] if message else f"perch passwd failed ({result.exited})")
    as_root(connection, f"chown root:perch {PASSWORD_FILE} && chmod 0640 {PASSWORD_FILE}")


def _reload_note() -> list[str]:
    return ["the broker reads the password file when it starts (sudo systemctl restart perch-broker)"]
