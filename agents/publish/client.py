"""The agents' MQTT connection (paho-mqtt 2.x): Last Will, reconnects, and in-order spool delivery.

One thread (:class:`agents.publish.network.NetworkLoop`) runs paho's network loop and hands the
spool's messages to paho, so a batch of readings wakes one thread once.

Two kinds of messages leave here. *Readings* go through the :class:`Spool` and are deleted only when
the broker acknowledges them (QoS 1), so an outage or a restart loses none. *Announcements* (node and
agent status, metadata, Home Assistant discovery) are retained state: the latest of each is kept in
memory and published again after every reconnect, so they need no spool.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from agents.config.appliance import MqttSettings
from agents.publish.network import NetworkLoop
from agents.publish.spool import Spool

log = logging.getLogger(__name__)

MAX_IN_FLIGHT = 50  # spooled messages handed to paho and not yet acknowledged
GATHER_SECONDS = 0.02  # readings wait this long for other agents' so they leave (and are acked) together
RECONNECT_MIN_DELAY, RECONNECT_MAX_DELAY = 1, 30  # seconds, doubled between attempts
MessageHandler = Callable[[str, bytes], None]


def read_password(settings: MqttSettings) -> str | None:
    if settings.password_file:
        lines = Path(settings.password_file).read_text(encoding="utf-8").splitlines()
        return lines[0] if lines else ""
    return settings.password


def configure_client(client: mqtt.Client, settings: MqttSettings) -> None:
    """Credentials and TLS from the ``mqtt:`` section."""
    if settings.username is not None:
        client.username_pw_set(settings.username, read_password(settings))
    if settings.tls is not None:
        tls = settings.tls
        client.tls_set(
            ca_certs=tls.ca_certs, certfile=tls.certfile, keyfile=tls.keyfile, cert_reqs=ssl.CERT_REQUIRED
        )
        client.tls_insecure_set(tls.insecure)


class Publisher:
    """One paho client with a Last Will on ``status_topic``; one network thread also drains the spool."""

    def __init__(self, settings: MqttSettings, client_id: str, status_topic: str, spool: Spool) -> None:
        self.settings = settings
        self.status_topic = status_topic
        self.spool = spool
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
        configure_client(self.client, settings)
        self.client.will_set(status_topic, b"offline", qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self.client.on_message = self._on_message
        self.connected = threading.Event()
        self.on_connected: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._announcements: dict[str, bytes] = {}
        self._handlers: dict[str, MessageHandler] = {}
        self._in_flight: dict[int, int] = {}  # paho message id -> spool id
        self._send_due = False  # the spool may hold what paho has not been given: set, then wake the loop
        self._gather_until: float | None = None  # when the readings gathered since the first wake-up go
        self._last_sent = 0  # spool id of the last message handed to paho
        self._stopping = threading.Event()
        delays = (RECONNECT_MIN_DELAY, RECONNECT_MAX_DELAY)
        self._network = NetworkLoop(self.client, self._send_spooled, delays, name="perch-mqtt")

    def start(self) -> None:
        self.client.connect_async(self.settings.host, self.settings.port, int(self.settings.keepalive))
        self._network.start()

    def stop(self, drain_timeout: float = 2.0) -> None:
        """Say ``offline``, give queued readings a moment to go out, and disconnect."""
        if self.connected.is_set():
            self._wait_drained(drain_timeout)
            info = self.client.publish(self.status_topic, b"offline", qos=1, retain=True)
            if info.rc == mqtt.MQTT_ERR_SUCCESS:
                info.wait_for_publish(timeout=drain_timeout)
        self._stopping.set()
        self.connected.clear()
        self._network.stop(timeout=5)

    def _wait_drained(self, timeout: float) -> None:
        """Give spooled readings up to ``timeout`` seconds to be acknowledged before disconnecting."""
        for _ in range(int(timeout / 0.05)):
            with self._lock:
                if not self._in_flight and not self.spool.pending(limit=1):
                    return
            self._stopping.wait(0.05)

    def publish_reading(self, topic: str, payload: str, retain: bool = True) -> None:
        """Queue a reading for in-order, acknowledged delivery."""
        self.publish_readings(((topic, payload, retain),))

    def publish_readings(self, readings: Iterable[tuple[str, str, bool]]) -> None:
        """Queue (topic, payload, retain) readings in order; the sender wakes once for all of them."""
        for topic, payload, retain in readings:
            self.spool.append(topic, payload.encode(), retain)
        self._send_due = True
        self._network.waker.set()

    def announce(self, topic: str, payload: str | bytes) -> None:
        """Publish retained state now (if connected) and again after each reconnect; b"" removes it."""
        data = payload.encode() if isinstance(payload, str) else payload
        with self._lock:
            self._announcements[topic] = data  # b"" too: a removal must reach the broker after an outage
        if self.connected.is_set():
            self.client.publish(topic, data, qos=1, retain=True)

    def subscribe(self, topic: str, handler: MessageHandler) -> None:
        with self._lock:
            self._handlers[topic] = handler
        if self.connected.is_set():
            self.client.subscribe(topic, qos=1)

    def unsubscribe(self, topic: str) -> None:
        with self._lock:
            self._handlers.pop(topic, None)
        if self.connected.is_set():
            self.client.unsubscribe(topic)

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: object, reason, properties) -> None:
        if reason.is_failure:
            log.warning("broker refused the connection: %s", reason)
            return
        where = f"{self.settings.host}:{self.settings.port}"
        log.info("connected to %s (%d spooled reading(s) to deliver)", where, len(self.spool))
        client.publish(self.status_topic, b"online", qos=1, retain=True)
        # Set before the snapshot: whatever announce()/subscribe() stored after this snapshot sees
        # `connected` and sends itself (at worst a harmless duplicate, never a miss).
        self.connected.set()
        with self._lock:
            announcements = list(self._announcements.items())
            topics = list(self._handlers)
        for topic, data in announcements:
            client.publish(topic, data, qos=1, retain=True)
        for topic in topics:
            client.subscribe(topic, qos=1)
        self._send_due = True  # in the loop's thread: it runs the sender next
        for hook in list(self.on_connected):
            hook()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: object, flags: object, reason, properties
    ) -> None:
        if self.connected.is_set() and not self._stopping.is_set():
            log.warning("disconnected from the broker (%s); readings are spooled until it returns", reason)
        self.connected.clear()
        self.spool.persist()  # what is in flight may never be acknowledged now: keep it on disk

    def _on_publish(self, client: mqtt.Client, userdata: object, message_id: int, reason, properties) -> None:
        with self._lock:
            window_was_full = len(self._in_flight) >= MAX_IN_FLIGHT
            spool_id = self._in_flight.pop(message_id, None)  # None: an announcement's ack
        if spool_id is not None:
            self.spool.remove(spool_id)
            if window_was_full:  # otherwise the sender is not waiting for room
                self._send_due = True  # in the loop's thread: it runs the sender next

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            handler = self._handlers.get(message.topic)
        if handler is not None:
            try:
                handler(message.topic, message.payload)
            except Exception:
                log.exception("handler for %s failed", message.topic)

    def _send_spooled(self) -> float | None:
        """Hand spooled messages to paho in order (in the network thread, after every wake-up).

        The first wake-up starts a gathering of :data:`GATHER_SECONDS` (returned to the loop): agents
        with the same interval read at the same instants (``until_next_slot``), so their readings
        go out in one segment and their acks come back in one, a wake-up each for this thread and
        the broker instead of one per agent. paho resends unacknowledged messages after a reconnect;
        what was never handed over waits here. Acks are read in this same thread, so none can
        arrive before its ``publish()`` returned.
        """
        if not self._send_due or self._stopping.is_set() or not self.connected.is_set():
            return None
        now = time.monotonic()
        if self._gather_until is None:
            self._gather_until = now + GATHER_SECONDS
        if now < self._gather_until:
            return self._gather_until - now
        self._gather_until = None
        self._send_due = False
        with self._lock:
            room = MAX_IN_FLIGHT - len(self._in_flight)
        for message in self.spool.pending(self._last_sent, room) if room > 0 else ():
            info = self.client.publish(message.topic, message.payload, qos=1, retain=message.retain)
            self._last_sent = message.id
            with self._lock:
                self._in_flight[info.mid] = message.id
        return None
