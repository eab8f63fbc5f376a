"""``perch demo``: a broker plus the example agents in simulation, a live table, and phone instructions."""

from __future__ import annotations

import collections
import contextlib
import logging
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from agents.config.appliance import ApplianceConfig
from agents.config.loader import load_config
from agents.runtime.reload import Reloader
from agents.runtime.runtime import Runtime
from agents.watch import watch

DEFAULT_PORT = 1883


def lan_address() -> str:
    """The address other devices on the LAN reach this machine at (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only selects the outgoing interface
            return probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def is_port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def choose_port(wanted: int) -> tuple[int, str]:
    """``wanted`` if free, else a free port; the note says what happened."""
    if wanted and is_port_free(wanted):
        return wanted, ""
    with socket.socket() as probe:
        probe.bind(("0.0.0.0", 0))
        port = probe.getsockname()[1]
    note = f"port {wanted} is taken (another broker?), so the demo broker uses port {port}" if wanted else ""
    return port, note


@contextlib.contextmanager
def demo_broker(port: int) -> Iterator[str]:
    """Perch's own broker in this process, or Debian's Mosquitto until Perch's server exists."""
    try:
        from broker.server.app import start_in_thread  # type: ignore[import-not-found]
    except ImportError:
        start_in_thread = None
    if start_in_thread is not None:
        from broker.config import BrokerConfig  # type: ignore[import-not-found]

        config = BrokerConfig.from_mapping(
            {"listeners": [{"port": port, "bind": "0.0.0.0"}], "allow_anonymous": True}
        )
        try:
            server = start_in_thread(config)
        except Exception as error:  # ListenError, OSError: say it in one line, exit 1
            raise RuntimeError(f"the demo broker could not listen on port {port}: {error}") from error
        try:
            yield "Perch broker"
        finally:
            server.stop()
        return
    with mosquitto(port):
        yield "Mosquitto (Perch's broker server is not available in this build)"


@contextlib.contextmanager
def mosquitto(port: int) -> Iterator[None]:
    executable = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/sbin")
    if executable is None:
        raise RuntimeError("no MQTT broker available: install mosquitto (apt-get install mosquitto)")
    with tempfile.TemporaryDirectory(prefix="perch-demo-") as folder:
        config = Path(folder) / "mosquitto.conf"
        config.write_text(f"listener {port} 0.0.0.0\nallow_anonymous true\n")
        process = subprocess.Popen([executable, "-c", str(config)], stdout=subprocess.DEVNULL)
        try:
            wait_for_port(port, process)
            yield
        finally:
            process.terminate()
            process.wait(timeout=10)


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"the demo broker did not start on port {port}")


def phone_instructions(address: str, port: int, base: str) -> str:
    return "\n".join([
        f"Android (IoT MQTT Panel, MQTT Dash, MyMQTT): broker {address}, port {port}, no TLS, no login.",
        f"  A gauge per reading: topic {base}/<agent>/<quantity>, e.g. {base}/climate/temperature",
        f"  Switch the fan: publish ON/OFF to {base}/fan/set.   All topics: {base}/#",
        f"  From a shell: mosquitto_sub -h {address} -p {port} -t '{base}/#' -v",
    ])  # fmt: skip


def heading(config: ApplianceConfig, config_file: Path, port: int, note: str) -> str:
    lines = [f"perch demo: {len(config.agents)} simulated agents, broker on port {port}"]
    lines += [note] if note else []
    lines += [phone_instructions(lan_address(), port, config.base_topic)]
    lines += [f"Edit {config_file} to add or change agents; Ctrl-C stops.", ""]
    return "\n".join(lines)


class RecentLog(logging.Handler):
    """Keeps the last few log lines so they show under the table instead of tearing it."""

    def __init__(self, size: int = 4) -> None:
        super().__init__(logging.INFO)
        self.lines: collections.deque[str] = collections.deque(maxlen=size)
        self.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING or record.name.startswith(("agents", "perch.demo")):
            self.lines.append(self.format(record))


def run_demo(config_file: Path, port: int, stop: threading.Event, out: TextIO, refresh: float = 1.0) -> int:
    """Run until ``stop`` is set; returns an exit code."""
    config = load_config(config_file)
    port, note = choose_port(port)

    def use_demo_broker(loaded: ApplianceConfig) -> None:
        loaded.mqtt.host, loaded.mqtt.port, loaded.simulate = "127.0.0.1", port, True

    use_demo_broker(config)
    recent = RecentLog()
    logging.getLogger().addHandler(recent)
    try:
        with demo_broker(port) as broker_name:
            print(f"listening mqtt://0.0.0.0:{port} ({broker_name})", file=out, flush=True)
            if note:
                print(note, file=out, flush=True)
            runtime = Runtime(config, simulate=True)
            runtime.start()
            reloader = Reloader(runtime, config_file, report=logging.getLogger("perch.demo").warning)
            reloader.adjust = use_demo_broker
            above = heading(config, config_file, port, note)

            def around() -> tuple[str, str]:
                reloader.check()
                return above, "\n".join(recent.lines)

            try:
                return watch("127.0.0.1", port, config.topic_prefix, stop, out, refresh, around)
            finally:
                runtime.stop()
    finally:
        logging.getLogger().removeHandler(recent)
