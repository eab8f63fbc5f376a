"""Shared fixtures: brokers run as real processes on loopback port 0."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.brokers import RunningBroker, mosquitto_broker, perch_broker


@pytest.fixture
def perch() -> Iterator[RunningBroker]:
    """A fresh ``perch broker`` process with TCP and WebSocket listeners on 127.0.0.1."""
    with perch_broker() as broker:
        yield broker


@pytest.fixture
def mosquitto() -> Iterator[RunningBroker]:
    """A fresh Mosquitto (Debian package) on loopback, as a reference or bridge peer."""
    with mosquitto_broker() as broker:
        yield broker
