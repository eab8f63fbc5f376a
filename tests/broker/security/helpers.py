"""Clients for the security tests: a raw MQTT client over a real socket (exact reason codes, both
versions) and a paho-mqtt wrapper; brokers run in-process on 127.0.0.1 port 0."""

from __future__ import annotations

import contextlib
import queue
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from broker.codec import Connect, Properties, ProtocolVersion, Will
from broker.codec.encoder import encode
from broker.codec.stream import StreamDecoder
from broker.config import BrokerConfig
from broker.server.app import RunningBroker, start_in_thread

V311, V5 = ProtocolVersion.V311, ProtocolVersion.V5
WAIT = 5.0


@contextlib.contextmanager
def running(config: BrokerConfig) -> Iterator[RunningBroker]:
    broker = start_in_thread(config)
    try:
        yield broker
    finally:
        broker.stop()


class WireClient:
    """MQTT over a socket with Perch's codec: send packets, read the broker's packets with a timeout."""

    def __init__(
        self, port: int, version: ProtocolVersion = V5, context: ssl.SSLContext | None = None
    ) -> None:
        self.version = version
        raw = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        self.sock = context.wrap_socket(raw, server_hostname="localhost") if context else raw
        self.decoder = StreamDecoder(protocol_version=version)
        self.pending: list[object] = []

    def send(self, *packets: object) -> None:
        self.sock.sendall(b"".join(encode(packet, self.version) for packet in packets))

    def read(self, timeout: float = WAIT) -> object | None:
        """The next packet, or None when the broker closed the connection (or said nothing in time)."""
        deadline = time.monotonic() + timeout
        while not self.pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(65536)
            except (TimeoutError, ConnectionResetError, ssl.SSLError):
                return None
            if not data:
                return None
            self.pending.extend(self.decoder.feed(data))
        return self.pending.pop(0)

    def connect(self, client_id: str, username: str | None = None, password: bytes | None = None,
                will: Will | None = None) -> object | None:  # fmt: skip
        name = "MQTT"
        self.send(Connect(protocol_name=name, protocol_version=self.version, client_id=client_id,
                          clean_start=True, keep_alive=30, username=username, password=password,
                          will=will, properties=Properties()))  # fmt: skip
        return self.read()

    def is_closed(self, timeout: float = WAIT) -> bool:
        return self.read(timeout) is None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class PahoClient:
    """A paho-mqtt client on its own network thread, with its events as queues."""

    def __init__(self, client_id: str, version: int = paho.MQTTv5, username: str | None = None,
                 password: str | None = None) -> None:  # fmt: skip
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=version)
        self.version = version
        if username is not None:
            self.client.username_pw_set(username, password)
        self.connack: queue.Queue = queue.Queue()
        self.messages: queue.Queue = queue.Queue()
        self.subacks: queue.Queue = queue.Queue()
        self.acks: queue.Queue = queue.Queue()
        self.client.on_connect = lambda c, u, flags, reason, props: self.connack.put(reason)
        self.client.on_message = lambda c, u, message: self.messages.put(message)
        self.client.on_subscribe = lambda c, u, mid, reasons, props: self.subacks.put(reasons)
        self.client.on_publish = lambda c, u, mid, reason, props: self.acks.put(reason)

    def connect(self, port: int, tls_ca: Path | None = None, will: tuple[str, bytes] | None = None) -> object:
        if tls_ca is not None:
            self.client.tls_set(ca_certs=str(tls_ca))
        if will is not None:
            self.client.will_set(will[0], will[1], qos=1)
        self.client.connect("127.0.0.1", port, keepalive=30)
        self.client.loop_start()
        return self.connack.get(timeout=WAIT)

    def subscribe(self, *filters: str) -> list:
        self.client.subscribe([(topic_filter, 1) for topic_filter in filters])
        return list(self.subacks.get(timeout=WAIT))

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> object | None:
        """Publish and, for QoS 1, return the PUBACK's reason code."""
        self.client.publish(topic, payload, qos=qos, retain=retain)
        return self.acks.get(timeout=WAIT) if qos else None

    def received(self, settle: float = 0.3) -> list[tuple[str, bytes]]:
        """Every message received until none arrived for ``settle`` seconds (bounded)."""
        messages = []
        for _ in range(10_000):
            try:
                message = self.messages.get(timeout=settle)
            except queue.Empty:
                break
            messages.append((message.topic, message.payload))
        return messages

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.client.disconnect()
        self.client.loop_stop()


@contextlib.contextmanager
def paho_clients() -> Iterator[list[PahoClient]]:
    """Collect clients made in a test and stop them all at the end."""
    made: list[PahoClient] = []
    try:
        yield made
    finally:
        for client in made:
            client.stop()


def wait_until(condition, timeout: float = WAIT) -> bool:
    """Poll ``condition`` (bounded) until it holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return bool(condition())


__all__ = ["V5", "V311", "PahoClient", "WireClient", "paho_clients", "running", "wait_until"]
