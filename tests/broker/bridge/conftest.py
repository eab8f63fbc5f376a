"""Helpers for bridge tests: a Mosquitto that can be stopped and restarted on the same port,
paho clients that collect what they receive, and bounded waits."""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from tests.support.brokers import free_port, wait_for_port
from tests.support.tools import require_tool


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


class Upstream:
    """Mosquitto on a fixed loopback port, stoppable and restartable (an uplink outage)."""

    def __init__(self, folder: Path, extra_config: str = "") -> None:
        """Sessions are persisted in ``folder``, so a subscriber's queue survives a restart."""
        self.executable = require_tool("mosquitto", "mosquitto")
        self.port = free_port()
        self.config = folder / "mosquitto.conf"
        lines = [
            f"listener {self.port} 127.0.0.1",
            extra_config or "allow_anonymous true",
            "user root",
            "persistence true",
            f"persistence_location {folder}/",
        ]
        self.config.write_text("\n".join(lines) + "\n")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.executable, "-c", str(self.config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for_port("127.0.0.1", self.port)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def upstream(tmp_path: Path) -> Iterator[Upstream]:
    broker = Upstream(tmp_path)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


class Collector:
    """A paho client (MQTT 5) that records (topic, payload, retain) of every message it receives."""

    def __init__(
        self,
        port: int,
        *filters: str,
        username: str | None = None,
        password: str | None = None,
        client_id: str = "",
    ) -> None:
        """With a ``client_id`` the session is persistent (it outlives a restart of a persistent broker)."""
        self.received: list[tuple[str, bytes, bool]] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        self.client.reconnect_delay_set(0.1, 0.5)
        if username:
            self.client.username_pw_set(username, password)
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *args: self._subscribed.set()
        self.client.on_connect = lambda c, *args: c.subscribe([(f, 1) for f in filters]) if filters else None
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = 3600 if client_id else 0
        self.client.connect("127.0.0.1", port, clean_start=not client_id, properties=properties)
        self.client.loop_start()
        if filters and not self._subscribed.wait(10):
            raise RuntimeError("subscription not acknowledged")

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.received.append((message.topic, message.payload, bool(message.retain)))

    def topics(self) -> list[str]:
        with self._lock:
            return [topic for topic, _, _ in self.received]

    def payloads(self, topic: str | None = None) -> list[bytes]:
        with self._lock:
            return [p for t, p, _ in self.received if topic is None or t == topic]

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos, retain).wait_for_publish(10)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def collectors() -> Iterator[Callable[..., Collector]]:
    made: list[Collector] = []

    def make(port: int, *filters: str, **options: str) -> Collector:
        collector = Collector(port, *filters, **options)
        made.append(collector)
        return collector

    yield make
    for collector in made:
        collector.close()
