"""Start MQTT brokers for integration tests: Perch's own (as a real process) and Mosquitto.

Perch's broker binds 127.0.0.1 on port 0 and prints one line per listener on stdout,
``listening <scheme>://<host>:<port>`` (scheme mqtt, mqtts, ws or wss); this module reads them.
"""

from __future__ import annotations

import contextlib
import queue
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.tools import require_tool

LISTENING_LINE = re.compile(r"^listening (mqtts?|wss?)://([^:\s]+):(\d+)")
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class RunningBroker:
    process: subprocess.Popen
    host: str = "127.0.0.1"
    ports: dict[str, int] = field(default_factory=dict)
    output: list[str] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.ports["mqtt"]

    @property
    def ws_port(self) -> int:
        return self.ports["ws"]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _read_listening_lines(process: subprocess.Popen, wanted: set[str], timeout: float) -> RunningBroker:
    """Collect ``listening`` lines from a reader thread (select() on a buffered pipe can miss lines)."""
    broker = RunningBroker(process=process)
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, name="broker-stdout", daemon=True).start()
    deadline = time.monotonic() + timeout
    while not wanted.issubset(broker.ports):
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            line = None
        if line is None:
            broker.stop()
            raise RuntimeError(f"broker did not report {sorted(wanted)}; output: {broker.output!r}")
        broker.output.append(line)
        match = LISTENING_LINE.match(line)
        if match:
            broker.ports[match.group(1)] = int(match.group(3))
    return broker


def start_perch_broker(*extra_args: str, websockets: bool = True, timeout: float = 15.0) -> RunningBroker:
    """Run ``perch broker`` in a subprocess on 127.0.0.1, port 0 (and a WebSocket port 0)."""
    command = [sys.executable, "-m", "perch", "broker", "--bind", "127.0.0.1", "--port", "0"]
    if websockets:
        command += ["--ws-port", "0"]
    command += list(extra_args)
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=None, text=True, bufsize=1
    )
    wanted = {"mqtt", "ws"} if websockets else {"mqtt"}
    return _read_listening_lines(process, wanted, timeout)


@contextlib.contextmanager
def perch_broker(*extra_args: str, websockets: bool = True) -> Iterator[RunningBroker]:
    broker = start_perch_broker(*extra_args, websockets=websockets)
    try:
        yield broker
    finally:
        broker.stop()


def free_port() -> int:
    """A loopback port for servers that cannot bind port 0 and report it (Mosquitto)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(host: str, port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {host}:{port}")


@contextlib.contextmanager
def mosquitto_broker(extra_config: str = "", websockets: bool = False) -> Iterator[RunningBroker]:
    """Run Debian's Mosquitto on free loopback ports (a reference broker and bridge peer)."""
    executable = require_tool("mosquitto", "mosquitto")
    port = free_port()
    lines = [f"listener {port} 127.0.0.1", "allow_anonymous true"]
    ports = {"mqtt": port}
    if websockets:
        ports["ws"] = free_port()
        lines += [f"listener {ports['ws']} 127.0.0.1", "protocol websockets"]
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "mosquitto.conf"
        config.write_text("\n".join(lines) + "\n" + extra_config + "\n")
        process = subprocess.Popen([executable, "-c", str(config)], stdout=subprocess.DEVNULL)
        broker = RunningBroker(process=process, ports=ports)
        try:
            for listener_port in ports.values():
                wait_for_port("127.0.0.1", listener_port)
            yield broker
        finally:
            broker.stop()
