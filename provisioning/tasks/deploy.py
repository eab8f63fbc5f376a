"""``deploy``: Perch's code into the ``/opt/perch`` venv, its systemd units enabled, services (re)started.

What is on the node is compared with what would be installed: the wheels' hashes (a manifest kept in the
venv) and each unit file's hash. Only a service whose code or unit changed is restarted; one that is
simply not running is started. The broker's and agents' secrets (``/etc/perch/agents.secret``, the
password file, the TLS certificate) are made on the node by ``python -m image.firstboot``, which keeps
existing ones.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from provisioning.errors import ProvisionError, RemoteCommandError
from provisioning.remote import as_root, install_file, read_text, run, upload_files
from provisioning.results import TaskResult
from provisioning.wheels import WheelSource, manifest

if TYPE_CHECKING:
    from fabric import Connection

REPO_ROOT = Path(__file__).resolve().parents[2]
UNIT_SOURCE = REPO_ROOT / "systemd"
UNITS = ("perch-broker.service", "perch-agents.service")  # start order: the agents publish to the broker
UNIT_DIR = "/etc/systemd/system"
VENV = "/opt/perch"
MANIFEST = f"{VENV}/perch-wheels.sha256"
ACTIVE_TIMEOUT_SECONDS = 30
SETTLE_SECONDS = 2.0
INSTALL_SCRIPT = """set -e
rm -rf {venv}
python3 -m venv --without-pip --system-site-packages {venv}
pip_wheel=$(ls {folder}/pip-*.whl | tail -n 1)
{venv}/bin/python "$pip_wheel/pip" install --quiet --no-index --no-cache-dir --disable-pip-version-check \
    --find-links {folder} {folder}/*.whl
"""


def deploy(connection: Connection, wheels: WheelSource) -> TaskResult:
    """Install or update Perch on a bootstrapped node and leave both services running."""
    result = TaskResult()
    if as_root(connection, "getent passwd perch", check=False).exited != 0:
        raise ProvisionError(f"{connection.host} has no perch user: run the bootstrap task first")
    arch, python_version = node_platform(connection)
    code_changed = install_code(connection, wheels.wheels_for(arch, python_version), result)
    changed_units = install_units(connection, result)
    make_secrets(connection, result)
    start_services(connection, code_changed, changed_units, result)
    return result


def node_platform(connection: Connection) -> tuple[str, str]:
    """The node's CPU architecture (``uname -m``) and its python3's version (``3.11``)."""
    arch = run(connection, "uname -m").stdout.strip()
    version = run(connection, "python3 -c 'import sys; print(\"%d.%d\" % sys.version_info[:2])'")
    return arch, version.stdout.strip()


def install_code(connection: Connection, wheels: list[Path], result: TaskResult) -> bool:
    """A fresh venv from ``wheels`` unless the node has exactly these; True when installed."""
    wanted = manifest(wheels)
    has_perch = as_root(connection, f"test -x {VENV}/bin/perch", check=False).exited == 0
    if has_perch and read_text(connection, MANIFEST) == wanted:
        return False
    folder = upload_files(connection, wheels)
    try:
        as_root(connection, INSTALL_SCRIPT.format(venv=VENV, folder=folder))
    finally:
        run(connection, f"rm -rf {folder}", check=False)
    install_file(connection, wanted.encode(), MANIFEST)  # last: a failed install is retried next time
    result.changes.append(f"Perch installed in {VENV} ({len(wheels)} wheels)")
    return True


def install_units(connection: Connection, result: TaskResult) -> set[str]:
    """Install and enable the units; returns the names of those whose file changed."""
    changed = {
        unit
        for unit in UNITS
        if install_file(connection, (UNIT_SOURCE / unit).read_bytes(), f"{UNIT_DIR}/{unit}")
    }
    if changed:
        as_root(connection, "systemctl daemon-reload")
        result.changes.append(f"units {', '.join(sorted(changed))}")
    for unit in UNITS:
        if as_root(connection, f"systemctl is-enabled {unit}", check=False).stdout.strip() != "enabled":
            as_root(connection, f"systemctl enable --quiet {unit}")
            result.changes.append(f"enabled {unit}")
    return changed


def make_secrets(connection: Connection, result: TaskResult) -> None:
    output = as_root(connection, f"cd / && {VENV}/bin/python -m image.firstboot").stdout
    if "created" in output:
        result.changes.append("broker credentials and TLS certificate")


def start_services(
    connection: Connection, code_changed: bool, changed_units: set[str], result: TaskResult
) -> None:
    """Restart what changed, start what is not running, then check both stay up."""
    for unit in UNITS:
        if code_changed or unit in changed_units:
            as_root(connection, f"systemctl restart {unit}")
            result.changes.append(f"restarted {unit}")
        elif as_root(connection, f"systemctl is-active {unit}", check=False).stdout.strip() != "active":
            as_root(connection, f"systemctl start {unit}")
            result.changes.append(f"started {unit}")
    for unit in UNITS:
        wait_until_active(connection, unit)


def wait_until_active(connection: Connection, unit: str) -> None:
    """Wait (bounded) until ``unit`` is active and still active a moment later, else fail with its log."""
    deadline = time.monotonic() + ACTIVE_TIMEOUT_SECONDS
    settled_since: float | None = None
    while time.monotonic() < deadline:
        state = as_root(connection, f"systemctl is-active {unit}", check=False).stdout.strip()
        if state == "active":
            settled_since = settled_since or time.monotonic()
            if time.monotonic() - settled_since >= SETTLE_SECONDS:
                return
        else:
            settled_since = None
        time.sleep(0.25)
    log = as_root(connection, f"journalctl --no-pager -n 5 -o cat -u {unit}", check=False).stdout.strip()
    last = " | ".join(log.splitlines()[-5:]) or "no log"
    raise RemoteCommandError(f"{unit} did not stay active on {connection.host}: {last}")
