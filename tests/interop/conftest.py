"""The broker under test (Perch, or Mosquitto with ``PERCH_INTEROP_BROKER=mosquitto``) and client fixtures.

Mosquitto 2.0 is the reference the suite was validated against; the same tests then judge Perch.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from tests.interop.paho_client import PahoClient
from tests.support.brokers import RunningBroker, mosquitto_broker, perch_broker, wait_for_port

SYS_INTERVAL = 1
# Mosquitto's defaults leave packet size unbounded; bound it so the oversize-input tests mean the same thing.
MOSQUITTO_MAX_PACKET_SIZE = 1_048_576


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
        with perch_broker(*extra) as running:
            yield BrokerUnderTest(kind, running)
        return
    lines = [f"sys_interval {SYS_INTERVAL}", f"max_packet_size {MOSQUITTO_MAX_PACKET_SIZE}"]
    if max_keepalive:
        lines.append(f"max_keepalive {max_keepalive}")
    with mosquitto_broker("\n".join(lines), websockets=True) as running:
        wait_for_port(running.host, running.ws_port)  # the shared helper waits for the TCP listener only
        yield BrokerUnderTest(kind, running)


class BrokerPool:
    """One broker per test module (tests use unique topics and client ids), replaced if a test killed it."""

    def __init__(self) -> None:
        self.stack = contextlib.ExitStack()
        self.broker: BrokerUnderTest | None = None

    def current(self) -> BrokerUnderTest:
        if self.broker is None or not self.broker.is_alive():
            self.broker = self.stack.enter_context(broker_process())
        return self.broker


@pytest.fixture(scope="module")
def broker_pool() -> Iterator[BrokerPool]:
    pool = BrokerPool()
    with pool.stack:
        yield pool


@pytest.fixture
def broker_under_test(broker_pool: BrokerPool) -> BrokerUnderTest:
    """The module's broker, restarted if an earlier test brought it down."""
    return broker_pool.current()


_client_numbers = itertools.count(1)


def unique_id(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{next(_client_numbers)}"


@pytest.fixture
def paho(broker_under_test: BrokerUnderTest) -> Iterator[Callable[..., PahoClient]]:
    """Make connected paho clients against the broker under test; all are closed after the test."""
    made: list[PahoClient] = []

    def make(client_id: str | None = None, *, connect: bool = True, **options: object) -> PahoClient:
        client = PahoClient(
            broker_under_test, client_id if client_id is not None else unique_id("paho"), **options
        )
        made.append(client)
        if connect:
            client.connect()
        return client

    yield make
    for client in made:
        client.close()
