"""``status`` and ``logs``: read-only looks at a node (they never change anything)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from provisioning.remote import as_root
from provisioning.results import TaskResult
from provisioning.tasks.deploy import UNITS, VENV

if TYPE_CHECKING:
    from fabric import Connection

VERSION_COMMAND = f"{VENV}/bin/python -c 'import importlib.metadata as m; print(m.version(\"perch\"))'"


def status(connection: Connection) -> TaskResult:
    """Each service's state and main PID, Perch's version, and the node's latest readings."""
    lines = []
    for unit in UNITS:
        shown = as_root(
            connection, f"systemctl show -p ActiveState -p SubState -p MainPID {unit}", check=False
        ).stdout
        fields = dict(line.split("=", 1) for line in shown.splitlines() if "=" in line)
        state = f"{fields.get('ActiveState', '?')} ({fields.get('SubState', '?')})"
        pid = fields.get("MainPID", "0")
        lines.append(f"{unit}: {state}" + (f", pid {pid}" if pid not in ("", "0") else ""))
    version = as_root(connection, VERSION_COMMAND, check=False)
    lines.append(f"perch {version.stdout.strip()}" if version.exited == 0 else "perch: not deployed")
    if version.exited == 0:
        readings = as_root(connection, f"cd / && {VENV}/bin/python -m provisioning.readings", check=False)
        lines.append("latest readings:")
        lines += [f"  {line}" for line in readings.stdout.splitlines()]
    return TaskResult(output="\n".join(lines) + "\n")


def logs(connection: Connection, lines: int = 50) -> TaskResult:
    """The last ``lines`` journal lines of both Perch services, interleaved by time."""
    selectors = " ".join(f"-u {unit}" for unit in UNITS)
    journal = as_root(connection, f"journalctl --no-pager -o short-iso -n {int(lines)} {selectors}")
    return TaskResult(output=journal.stdout)
