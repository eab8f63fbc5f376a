"""`$SYS/broker/...` statistics under Mosquitto's names (issue 2), read with paho."""

from __future__ import annotations

import time

import pytest

from tests.interop.brokers import unique_id

pytestmark = pytest.mark.interop

COUNTERS = [
    "$SYS/broker/clients/connected",
    "$SYS/broker/messages/received",
    "$SYS/broker/messages/sent",
    "$SYS/broker/bytes/received",
    "$SYS/broker/bytes/sent",
]


def latest_values(client, wanted: set[str], timeout: float, values: dict[str, str]) -> dict[str, str]:
    """Read `$SYS` messages into ``values`` until every wanted topic has one (bounded by ``timeout``)."""
    deadline = time.monotonic() + timeout
    while not wanted.issubset(values) and time.monotonic() < deadline:
        for message in client.receive(1, timeout=max(deadline - time.monotonic(), 0.01)):
            values[message.topic] = message.payload.decode()
    return values


def number(text: str) -> int:
    return int(text.split()[0])  # "12" or "12 seconds"


def wait_for(client, values: dict[str, str], topic: str, at_least: int, timeout: float = 12.0) -> int:
    """Read `$SYS` updates until ``topic`` reaches ``at_least`` (republished every sys_interval)."""
    deadline = time.monotonic() + timeout
    while number(values.get(topic, "-1")) < at_least and time.monotonic() < deadline:
        message = client.receive(1, timeout=max(deadline - time.monotonic(), 0.01))[0]
        values[message.topic] = message.payload.decode()
    return number(values.get(topic, "-1"))


def test_sys_broker_statistics_are_published(paho):
    """[MQTT-4.7.2-1] `$SYS/#` reaches the statistics: version, uptime, connected clients, messages and bytes
    received and sent, all numeric but the version; the counters follow the traffic."""
    watcher = paho(version=4)
    watcher.subscribe("$SYS/broker/#", 0)
    wanted = {"$SYS/broker/version", "$SYS/broker/uptime", *COUNTERS}
    values = latest_values(watcher, wanted, timeout=12.0, values={})
    assert wanted.issubset(values), f"missing: {sorted(wanted - set(values))}"
    assert values["$SYS/broker/version"].strip()
    for topic in ("$SYS/broker/uptime", *COUNTERS):
        assert number(values[topic]) >= 0, topic
    assert wait_for(watcher, values, "$SYS/broker/clients/connected", 1) >= 1

    before = number(values["$SYS/broker/messages/received"])
    publisher = paho(version=4)
    for _ in range(5):
        publisher.publish(unique_id("sys/traffic"), b"x", qos=1)
    assert wait_for(watcher, values, "$SYS/broker/messages/received", before + 5) >= before + 5
