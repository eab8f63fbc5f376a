"""Boot a root filesystem with ``systemd-nspawn -b`` inside a network namespace this helper makes.

The namespace gets one end of a veth pair (``eth0``, with an address) and the host keeps the other end,
so a test on the host reaches the container's services over a real link, like a phone reaching a Pi.
Addresses are link-local (169.254.N.0/30), used only between this host and its own namespace.
``nsenter`` into the container's PID 1 runs commands and queries units. Everything is torn down on exit,
also when the test fails: the container is stopped (killed if it does not stop), then the namespace and
the veth pair are deleted.

Works where PID 1 is not systemd (as on CI machines): ``SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=0``,
``--register=no``, ``--keep-unit``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.tools import require_root, require_tool

BOOT_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 20
POLL_SECONDS = 0.2
LOCK_FILE = Path("/run/perch-nspawn.lock")
SUBNETS = range(100, 250)  # 169.254.N.0/30 for N in this range


@dataclass
class Container:
    name: str
    root: Path
    process: subprocess.Popen
    leader_pid: int
    host_address: str
    address: str
    console_log: Path

    def run(self, *command: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run ``command`` inside the container (all its namespaces), as root."""
        full = ["nsenter", "-t", str(self.leader_pid), "-a", *command]
        result = subprocess.run(full, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(command)} failed in {self.name}: {result.stdout}{result.stderr}")
        return result

    def unit_state(self, unit: str) -> str:
        return self.run("systemctl", "is-active", unit, check=False).stdout.strip()

    def wait_for_unit(self, unit: str, state: str = "active", timeout: float = 120) -> str:
        """Wait until ``unit`` reaches ``state`` (or failed); returns the last state seen."""
        deadline = time.monotonic() + timeout
        current = ""
        while time.monotonic() < deadline:
            current = self.unit_state(unit)
            if current in (state, "failed"):
                return current
            time.sleep(POLL_SECONDS)
        return current

    def journal(self, unit: str | None = None, lines: int = 80) -> str:
        selector = ["-u", unit] if unit else []
        return self.run("journalctl", "--no-pager", "-n", str(lines), *selector, check=False).stdout

    def describe_failure(self, *units: str) -> str:
        """Statuses and logs of ``units``, for assertion messages."""
        parts = [self.run("systemctl", "status", "--no-pager", unit, check=False).stdout for unit in units]
        parts += [self.journal(unit) for unit in units]
        return "\n".join(parts)


@contextlib.contextmanager
def _allocation_lock() -> Iterator[None]:
    with open(LOCK_FILE, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _free_subnet_index() -> int:
    """The first 169.254.N.0/30 no interface on this host uses (other tests' links, stale ones)."""
    output = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True, check=True).stdout
    used = {int(number) for number in re.findall(r"inet 169\.254\.(\d+)\.", output)}
    for index in SUBNETS:
        if index not in used:
            return index
    raise RuntimeError("every 169.254.N.0/30 test subnet is in use: stale namespaces? see `ip netns list`")


def _ip(*arguments: str) -> None:
    subprocess.run(["ip", *arguments], check=True, capture_output=True, timeout=30)


@contextlib.contextmanager
def network_namespace(name: str, index: int) -> Iterator[tuple[str, str]]:
    """A namespace ``name`` whose ``eth0`` is 169.254.I.2/30, linked to the host's 169.254.I.1/30."""
    host_side, container_side = f"vh{name[-10:]}", f"vc{name[-10:]}"
    host_address, address = f"169.254.{index}.1", f"169.254.{index}.2"
    _ip("netns", "add", name)
    try:
        _ip("link", "add", host_side, "type", "veth", "peer", "name", container_side)
        _ip("link", "set", container_side, "netns", name)
        _ip("-n", name, "link", "set", container_side, "name", "eth0")
        _ip("-n", name, "addr", "add", f"{address}/30", "dev", "eth0")
        _ip("-n", name, "link", "set", "eth0", "up")
        _ip("-n", name, "link", "set", "lo", "up")
        _ip("addr", "add", f"{host_address}/30", "dev", host_side)
        _ip("link", "set", host_side, "up")
        yield host_address, address
    finally:
        subprocess.run(["ip", "link", "del", host_side], capture_output=True, timeout=30)
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=30)


def _container_init(nspawn_pid: int, deadline: float) -> int:
    """The host PID of the container's PID 1: the descendant whose innermost PID is 1."""
    while time.monotonic() < deadline:
        for status in Path("/proc").glob("[0-9]*/status"):
            with contextlib.suppress(OSError):
                fields = dict(
                    line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line
                )
                namespace_pids = fields.get("NSpid", "").split()
                if (
                    len(namespace_pids) > 1
                    and namespace_pids[-1] == "1"
                    and _descends_from(int(namespace_pids[0]), nspawn_pid)
                ):
                    return int(namespace_pids[0])
        time.sleep(POLL_SECONDS)
    raise RuntimeError("systemd-nspawn did not start the container's init in time")


def _descends_from(pid: int, ancestor: int) -> bool:
    for _ in range(16):
        if pid == ancestor:
            return True
        try:
            stat_fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return False
        pid = int(stat_fields[1])
        if pid <= 1:
            return False
    return False


def _wait_until_booted(container: Container, deadline: float) -> None:
    state = ""
    while time.monotonic() < deadline:
        if container.process.poll() is not None:
            break
        state = container.run("systemctl", "is-system-running", check=False, timeout=10).stdout.strip()
        if state in ("running", "degraded"):
            return
        time.sleep(POLL_SECONDS)
    log = container.console_log.read_text(errors="replace")[-3000:]
    raise RuntimeError(f"container {container.name} did not finish booting (state {state!r}):\n{log}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # nspawn asks the container's systemd to shut down
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_SECONDS)


@contextlib.contextmanager
def booted_container(root: Path, log_dir: Path) -> Iterator[Container]:
    """Boot ``root`` with systemd in its own network namespace; yields once systemd has finished booting."""
    require_root()
    nspawn = require_tool("systemd-nspawn", "systemd-container")
    require_tool("nsenter", "util-linux")
    require_tool("ip", "iproute2")
    with contextlib.ExitStack() as stack:
        with _allocation_lock():  # held until the addresses exist, so parallel tests pick others
            index = _free_subnet_index()
            name = f"perch{os.getpid() % 100000}n{index}"
            host_address, address = stack.enter_context(network_namespace(name, index))
        console_log = log_dir / f"{name}-console.log"
        command = [
            nspawn, "-D", str(root), "-b", "--register=no", "--keep-unit", f"--machine={name}",
            f"--network-namespace-path=/run/netns/{name}", "--console=pipe",
        ]  # fmt: skip
        environment = dict(os.environ, SYSTEMD_NSPAWN_UNIFIED_HIERARCHY="0")
        with open(console_log, "wb") as log:
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=environment
            )
        try:
            deadline = time.monotonic() + BOOT_TIMEOUT_SECONDS
            leader = _container_init(process.pid, deadline)
            container = Container(name, root, process, leader, host_address, address, console_log)
            _wait_until_booted(container, deadline)
            yield container
        finally:
            _stop(process)
