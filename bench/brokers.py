"""Start the brokers under test fresh on free loopback ports: Perch, Mosquitto (Debian) and amqtt (PyPI).

amqtt lives in its own virtualenv under ~/.cache/perch/bench-venv so its dependencies never touch
Perch's; ``ensure_amqtt()`` creates it on first use with pip.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
AMQTT_VENV = Path.home() / ".cache" / "perch" / "bench-venv"
AMQTT_VERSION = "0.12.1"
LISTENING = re.compile(r"^listening mqtt://([^:\s]+):(\d+)")
BROKERS = ("perch", "mosquitto", "amqtt")
START_TIMEOUT = 30.0
PERCH_LOG_LEVEL = "warning"


class BrokerUnavailable(RuntimeError):
    """A reference broker is not installed and cannot be installed here."""


@dataclass
class Broker:
    name: str
    process: subprocess.Popen
    host: str
    port: int

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(process: subprocess.Popen, port: int, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"broker exited with code {process.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout} s")


def perch_source() -> Path:
    """The checkout whose broker is measured: PERCH_BENCH_SOURCE (e.g. a `git archive` of a commit, so a
    half-edited working tree does not decide the numbers) or this repository."""
    return Path(os.environ.get("PERCH_BENCH_SOURCE") or REPO_ROOT)


def perch_log_flags(source: Path) -> list[str]:
    """Perch logs at ``warning``, as Mosquitto runs with ``log_type error``: neither writes a line per
    connection (Perch's default ``info`` does, as Mosquitto's default does). A checkout from before
    ``--log-level`` existed runs with its default."""
    cli = source / "broker" / "cli.py"
    if cli.exists() and "--log-level" in cli.read_text(encoding="utf-8"):
        return ["--log-level", PERCH_LOG_LEVEL]
    return []


def _start_perch(folder: Path) -> Broker:
    command = [sys.executable, "-m", "perch", "broker", "--bind", "127.0.0.1", "--port", "0"]
    command += perch_log_flags(perch_source())
    log = folder / "perch.log"  # warnings and errors: kept out of the terminal, read on failure
    with log.open("w") as log_file:
        process = subprocess.Popen(
            command, cwd=perch_source(), stdout=subprocess.PIPE, stderr=log_file, text=True, bufsize=1
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        if not select.select([process.stdout], [], [], 0.5)[0]:
            continue
        match = LISTENING.match(process.stdout.readline())
        if match:
            return Broker("perch", process, match.group(1), int(match.group(2)))
    process.kill()
    process.wait(timeout=10)
    tail = " | ".join(log.read_text().strip().splitlines()[-3:])
    raise RuntimeError(f"perch broker did not print 'listening mqtt://HOST:PORT': {tail}")


def _start_mosquitto(folder: Path) -> Broker:
    executable = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else ""
    )
    if not executable:
        raise BrokerUnavailable("mosquitto is not installed (apt-get install mosquitto)")
    port = free_port()
    config = folder / "mosquitto.conf"
    config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\nlog_type error\n")
    process = subprocess.Popen([executable, "-c", str(config)], stdout=subprocess.DEVNULL)
    wait_for_port(process, port)
    return Broker("mosquitto", process, "127.0.0.1", port)


def ensure_amqtt() -> Path:
    """The amqtt command in the bench virtualenv, installed there with pip on first use."""
    command = AMQTT_VENV / "bin" / "amqtt"
    if command.exists():
        return command
    try:
        subprocess.run([sys.executable, "-m", "venv", str(AMQTT_VENV)], check=True)
        pip = [str(AMQTT_VENV / "bin" / "pip"), "install", "--quiet", f"amqtt=={AMQTT_VERSION}"]
        subprocess.run(pip, check=True)
    except (OSError, subprocess.CalledProcessError) as error:
        raise BrokerUnavailable(f"cannot install amqtt into {AMQTT_VENV}: {error}") from error
    return command


def _start_amqtt(folder: Path) -> Broker:
    command = ensure_amqtt()
    port = free_port()
    config = folder / "amqtt.yaml"
    config.write_text(
        "listeners:\n  default:\n    type: tcp\n"
        f"    bind: 127.0.0.1:{port}\n"
        "plugins:\n  amqtt.plugins.authentication.AnonymousAuthPlugin:\n    allow_anonymous: true\n"
    )
    process = subprocess.Popen(
        [str(command), "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_for_port(process, port)
    return Broker("amqtt", process, "127.0.0.1", port)


STARTERS = {"perch": _start_perch, "mosquitto": _start_mosquitto, "amqtt": _start_amqtt}


@contextlib.contextmanager
def running(name: str) -> Iterator[Broker]:
    """A fresh broker process for one scenario, stopped afterwards."""
    with tempfile.TemporaryDirectory(prefix=f"perch-bench-{name}-") as folder:
        broker = STARTERS[name](Path(folder))
        try:
            yield broker
        finally:
            broker.stop()
