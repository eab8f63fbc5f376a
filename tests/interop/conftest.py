"""The broker under test (Perch, or Mosquitto with ``PERCH_INTEROP_BROKER=mosquitto``) and client fixtures.

Mosquitto 2.0 is the reference the suite was validated against; the same tests then judge Perch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pytest

from tests.interop.brokers import BrokerUnderTest, broker_process, unique_id
from tests.interop.paho_client import PahoClient


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
def broker_under_test(broker_pool: BrokerPool) -> Iterator[BrokerUnderTest]:
    """The module's broker; a test during which it dies errors in teardown, and the next gets a fresh one."""
    broker = broker_pool.current()
    yield broker
    assert broker.is_alive(), f"the broker process died during this test: {broker.running.output[-5:]}"


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
