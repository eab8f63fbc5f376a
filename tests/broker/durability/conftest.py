"""A real ``perch broker --config`` process with persistence, restartable and killable with SIGKILL."""

from __future__ import annotations

import contextlib
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.broker.durability.wire import RawClient
from tests.support.brokers import REPO_ROOT

LISTENING = re.compile(r"^listening mqtt://127\.0\.0\.1:(\d+)")


@dataclass
class DurableBroker:
    """One broker config (persistence folder in tmp) that can be started, killed and restarted."""

    config: Path
    log: Path
    process: subprocess.Popen | None = None
    port: int = 0

    def start(self, timeout: float = 15.0) -> int:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "perch", "broker", "--config", str(self.config)],
                cwd=REPO_ROOT,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                bufsize=1,
            )
        lines: queue.Queue[str | None] = queue.Queue()

        def pump(stdout=self.process.stdout) -> None:
            with contextlib.suppress(ValueError, OSError):  # the pipe is closed when the broker ends
                for line in stdout:
                    lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            match = LISTENING.match(line)
            if match:
                self.port = int(match.group(1))
                return self.port
        self.kill()
        raise RuntimeError(f"broker did not start; log:\n{self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a power cut of the process."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self._close_pipe()

    def _close_pipe(self) -> None:
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()

    def stop(self) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.terminate()
        try:
            return self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()
            return None
        finally:
            self._close_pipe()


def write_config(folder: Path, broker_yaml: str) -> Path:
    config = folder / "perch.yaml"
    config.write_text(
        "broker:\n  listeners: [{port: 0, bind: 127.0.0.1}]\n  allow_anonymous: true\n" + broker_yaml
    )
    return config


@pytest.fixture
def durable_broker(tmp_path: Path) -> Iterator[DurableBroker]:
    store = tmp_path / "store"
    config = write_config(
        tmp_path, f"  max_queued_messages: 2000\n  persistence: {{path: {store}, sync_interval: 0.05}}\n"
    )
    broker = DurableBroker(config, tmp_path / "broker.log")
    try:
        yield broker
    finally:
        broker.kill()


@pytest.fixture(autouse=True)
def _close_raw_clients() -> Iterator[None]:
    yield
    while RawClient.open_sockets:
        RawClient.open_sockets.pop().close()
