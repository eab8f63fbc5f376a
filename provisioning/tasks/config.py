"""``config push FILE`` and ``agent add FILE``: a validated config onto the node, agents reloaded.

Nothing is uploaded unless the file passes the same validation as ``perch check``, on its own and
together with the node's other config files. The agents are reloaded (``systemctl reload``: SIGHUP, they
apply only what changed); the broker is never restarted by these tasks. A changed ``broker:`` section is
reported instead, because it takes effect only when the broker restarts.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from provisioning.errors import ProvisionError
from provisioning.remote import as_root, install_file, read_text
from provisioning.results import TaskResult
from provisioning.validation import NODE_CONFIG, NODE_DROP_INS, check_on_node

if TYPE_CHECKING:
    from fabric import Connection

AGENTS_UNIT = "perch-agents.service"
BROKER_UNIT = "perch-broker.service"


def node_drop_ins(connection: Connection) -> dict[str, str]:
    """The node's ``agents.d/*.yaml`` files by name."""
    listing = as_root(
        connection, f"cd {NODE_DROP_INS} 2>/dev/null && ls -1 -- *.yaml 2>/dev/null", check=False
    )
    names = [name for name in listing.stdout.splitlines() if name.endswith(".yaml")]
    found = {name: read_text(connection, f"{NODE_DROP_INS}/{name}") for name in names}
    return {name: text for name, text in found.items() if text is not None}


def push_config(connection: Connection, path: Path) -> TaskResult:
    """Make ``path`` the node's ``/etc/perch/perch.yaml`` and reload the agents."""
    result = TaskResult()
    text = path.read_text(encoding="utf-8")
    check_on_node(connection.host, text, node_drop_ins(connection), {"perch.yaml": str(path)})
    old_text = read_text(connection, NODE_CONFIG)
    if not install_file(connection, text.encode(), NODE_CONFIG, mode="0640", owner="root:perch"):
        return result
    result.changes.append(NODE_CONFIG)
    reload_agents(connection, result)
    broker_running = as_root(connection, f"systemctl is-active {BROKER_UNIT}", check=False).exited == 0
    if broker_running and old_text is not None and _broker_section(old_text) != _broker_section(text):
        result.notes.append(
            "the broker: section changed; it applies when the broker restarts "
            "(sudo systemctl restart perch-broker)"
        )
    return result


def add_agent(connection: Connection, path: Path) -> TaskResult:
    """Drop ``path`` into the node's ``agents.d/`` (same name) and reload the agents."""
    result = TaskResult()
    main_text = read_text(connection, NODE_CONFIG)
    if main_text is None:
        raise ProvisionError(f"{connection.host} has no {NODE_CONFIG}: run bootstrap (or config push) first")
    drop_ins = node_drop_ins(connection)
    text = path.read_text(encoding="utf-8")
    drop_ins[path.name] = text
    check_on_node(connection.host, main_text, drop_ins, {path.name: str(path)})
    target = f"{NODE_DROP_INS}/{path.name}"
    if not install_file(connection, text.encode(), target, mode="0640", owner="root:perch"):
        return result
    result.changes.append(target)
    reload_agents(connection, result)
    return result


def reload_agents(connection: Connection, result: TaskResult) -> None:
    """SIGHUP the running agents; start them if they are not running (never touches the broker)."""
    state = as_root(connection, f"systemctl is-active {AGENTS_UNIT}", check=False).stdout.strip()
    installed = as_root(connection, f"systemctl cat {shlex.quote(AGENTS_UNIT)}", check=False).exited == 0
    if not installed:
        result.notes.append("Perch is not deployed yet: its services will start with this config")
    elif state == "active":
        as_root(connection, f"systemctl reload {AGENTS_UNIT}")
        result.changes.append("reloaded the agents")
    else:
        as_root(connection, f"systemctl restart {AGENTS_UNIT}")
        result.changes.append(f"started the agents (they were {state})")


def _broker_section(text: str) -> object:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    return data.get("broker") if isinstance(data, dict) else None
