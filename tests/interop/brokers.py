"""The broker under test: Perch, or the reference Mosquitto 2.0 with ``PERCH_INTEROP_BROKER=mosquitto``."""

from __future__ import annotations

import contextlib
import itertools
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.brokers import RunningBroker, mosquitto_broker, perch_broker, wait_for_port

SYS_INTERVAL = 1
# Mosquitto's defaults leave packet size unbounded; bound it so the oversize-input tests mean the same thing.
MOSQUITTO_MAX_PACKET_SIZE = 1_048_576
# Perch's broker: section for the suite: `$SYS` every second (as Mosquitto above) and a 3 s CONNECT timeout
# instead of 10 s, so the test of a client that never sends CONNECT stays short.
PERCH_CONFIG = f"broker:\n  sys_interval: {SYS_INTERVAL}\n  connect_timeout: 3\n"


@dataclass
class BrokerUnderTest:
    """Where the broker listens and which implementation it is (``perch`` or ``mosquitto``)."""

    kind: str
    running: RunningBroker
    host: str = "127.0.0.1"

    @property
    def port(self) -> int:
        return self.running.port

    @property
    def ws_port(self) -> int:
        return self.running.ws_port

    @property
    def pid(self) -> int:
        return self.running.process.pid

    def is_alive(self) -> bool:
        return self.running.process.poll() is None


def selected_broker_kind() -> str:
    kind = os.environ.get("PERCH_INTEROP_BROKER", "perch").lower()
    if kind not in ("perch", "mosquitto"):
        raise pytest.UsageError(f"PERCH_INTEROP_BROKER must be perch or mosquitto, not {kind!r}")
    return kind


@contextlib.contextmanager
def broker_process(max_keepalive: int | None = None) -> Iterator[BrokerUnderTest]:
    """Start the selected broker on loopback with TCP and WebSocket listeners."""
    kind = selected_broker_kind()
    if kind == "perch":
        extra = ("--max-keepalive", str(max_keepalive)) if max_keepalive else ()
        with tempfile.TemporaryDirectory() as folder:
            config = Path(folder) / "perch.yaml"
            config.write_text(PERCH_CONFIG)
            with perch_broker("--config", str(config), *extra) as running:
                yield BrokerUnderTest(kind, running)
        return
    lines = [f"sys_interval {SYS_INTERVAL}", f"max_packet_size {MOSQUITTO_MAX_PACKET_SIZE}"]
    if max_keepalive:
        lines.append(f"max_keepalive {max_keepalive}")
    with mosquitto_broker("\n".join(lines), websockets=True) as running:
        wait_for_port(running.host, running.ws_port)  # the shared helper waits for the TCP listener only
        yield BrokerUnderTest(kind, running)


_client_numbers = itertools.count(1)


def unique_id(prefix: str) -> str:
    """A client id or topic no other test (or earlier run against the same broker) uses."""
    return f"{prefix}-{os.getpid()}-{next(_client_numbers)}"
