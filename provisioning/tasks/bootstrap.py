"""``bootstrap``: the system side of a Perch node (packages, interfaces, the perch user, folders, a config).

Each step looks before it changes anything, so a second run reports no changes. I2C, SPI and 1-Wire are
switched on with ``raspi-config nonint`` where it exists (Raspberry Pi OS), else by adding the
``config.txt`` lines and ``/etc/modules`` entries raspi-config would write. Either way the kernel only
loads them at boot, so a change there is reported as "reboot needed".
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from importlib.resources import files
from typing import TYPE_CHECKING

from provisioning.remote import as_root, install_file
from provisioning.results import TaskResult

if TYPE_CHECKING:
    from fabric import Connection

PACKAGES = ("python3", "python3-venv", "i2c-tools", "avahi-daemon")
HARDWARE_GROUPS = ("gpio", "i2c", "spi")
SERVICE_USER = "perch"
CONFIG_FILE = "/etc/perch/perch.yaml"
CONFIG_TXT_CANDIDATES = ("/boot/firmware/config.txt", "/boot/config.txt")
# (path, owner:group, mode)
FOLDERS = (
    ("/etc/perch", "root:perch", "750"),
    ("/etc/perch/agents.d", "root:perch", "750"),
    ("/var/lib/perch", "perch:perch", "750"),
)


@dataclass(frozen=True)
class Interface:
    """A bus the sensors need, and the three ways of switching it on."""

    name: str
    raspi_config: str  # nonint function name without do_/get_
    config_line: str  # the config.txt line raspi-config writes
    module: str | None  # a line for /etc/modules, if the bus needs one


INTERFACES = (
    Interface("I2C", "i2c", "dtparam=i2c_arm=on", "i2c-dev"),
    Interface("SPI", "spi", "dtparam=spi=on", None),
    Interface("1-Wire", "onewire", "dtoverlay=w1-gpio", None),
)


def bootstrap(connection: Connection) -> TaskResult:
    """Make the node ready for ``deploy``: everything but Perch's own code and services."""
    result = TaskResult()
    install_packages(connection, result)
    enable_interfaces(connection, result)
    create_service_user(connection, result)
    create_folders(connection, result)
    write_starter_config(connection, result)
    return result


def install_packages(connection: Connection, result: TaskResult) -> None:
    query = "dpkg-query -W -f='${Package} ${db:Status-Status}\\n' " + " ".join(PACKAGES) + " 2>/dev/null"
    listed = as_root(connection, query, check=False).stdout.split("\n")
    installed = {line.split()[0] for line in listed if line.endswith(" installed")}
    missing = [package for package in PACKAGES if package not in installed]
    if not missing:
        return
    as_root(
        connection,
        "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "
        + " ".join(missing),
    )
    result.changes.append(f"installed {' '.join(missing)}")


def enable_interfaces(connection: Connection, result: TaskResult) -> None:
    has_raspi_config = as_root(connection, "command -v raspi-config", check=False).exited == 0
    for interface in INTERFACES:
        if has_raspi_config:
            changed = _enable_with_raspi_config(connection, interface)
        else:
            changed = _enable_with_config_txt(connection, interface, result)
        if changed:
            result.changes.append(f"enabled {interface.name}")
            result.reboot_needed = True


def _enable_with_raspi_config(connection: Connection, interface: Interface) -> bool:
    # raspi-config's get_* prints 0 when the interface is enabled, 1 when it is not.
    state = as_root(connection, f"raspi-config nonint get_{interface.raspi_config}").stdout.strip()
    if state == "0":
        return False
    as_root(connection, f"raspi-config nonint do_{interface.raspi_config} 0")
    return True


def _enable_with_config_txt(connection: Connection, interface: Interface, result: TaskResult) -> bool:
    config_txt = _config_txt(connection)
    changed = False
    if config_txt is None:
        note = "no config.txt in /boot/firmware or /boot (not a Raspberry Pi?): dtparam lines not set"
        if note not in result.notes:
            result.notes.append(note)
    else:
        changed |= _append_line(connection, config_txt, interface.config_line)
    if interface.module is not None:
        changed |= _append_line(connection, "/etc/modules", interface.module)
    return changed


def _config_txt(connection: Connection) -> str | None:
    for path in CONFIG_TXT_CANDIDATES:
        if as_root(connection, f"test -f {path}", check=False).exited == 0:
            return path
    return None


def _append_line(connection: Connection, path: str, line: str) -> bool:
    """Add ``line`` to ``path`` unless the file has it already; True if added."""
    quoted_line, quoted_path = shlex.quote(line), shlex.quote(path)
    if as_root(connection, f"grep -qxF {quoted_line} {quoted_path}", check=False).exited == 0:
        return False
    as_root(connection, f"touch {quoted_path} && printf '%s\\n' {quoted_line} >> {quoted_path}")
    return True


def create_service_user(connection: Connection, result: TaskResult) -> None:
    """The ``perch`` system user, its group, and membership of the hardware groups."""
    for group in (SERVICE_USER, *HARDWARE_GROUPS):
        if as_root(connection, f"getent group {group}", check=False).exited != 0:
            as_root(connection, f"groupadd --system {group}")
            result.changes.append(f"group {group}")
    if as_root(connection, f"getent passwd {SERVICE_USER}", check=False).exited != 0:
        as_root(
            connection,
            f"useradd --system --gid {SERVICE_USER} --home-dir /var/lib/perch --no-create-home "
            f"--shell /usr/sbin/nologin --comment 'Perch services' {SERVICE_USER}",
        )
        result.changes.append(f"user {SERVICE_USER}")
    member_of = set(as_root(connection, f"id -nG {SERVICE_USER}").stdout.split())
    missing = [group for group in HARDWARE_GROUPS if group not in member_of]
    if missing:
        as_root(connection, f"usermod --append --groups {','.join(missing)} {SERVICE_USER}")
        result.changes.append(f"{SERVICE_USER} in groups {','.join(missing)}")


def create_folders(connection: Connection, result: TaskResult) -> None:
    for path, owner, mode in FOLDERS:
        state = as_root(connection, f"stat -c '%U:%G %a' {path} 2>/dev/null", check=False).stdout.strip()
        if state != f"{owner} {mode}":
            user, group = owner.split(":")
            as_root(connection, f"install -d -o {user} -g {group} -m {mode} {path}")
            result.changes.append(f"folder {path}")


def write_starter_config(connection: Connection, result: TaskResult) -> None:
    """A working appliance config when the node has none; an existing one is never touched."""
    if as_root(connection, f"test -e {CONFIG_FILE}", check=False).exited == 0:
        return
    starter = files("provisioning").joinpath("starter.yaml").read_bytes()
    install_file(connection, starter, CONFIG_FILE, mode="0640", owner="root:perch")
    result.changes.append(f"starter config {CONFIG_FILE}")
