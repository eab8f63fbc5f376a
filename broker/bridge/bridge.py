"""A bridge: topics forwarded between Perch and an upstream broker, as Mosquitto's bridge does.

Two paho-mqtt clients (MQTT 5): the local one connects to Perch's own listener on loopback with a
persistent session; the remote one to the upstream broker. Both subscribe with No Local, so what
the bridge publishes on one side never comes back to it there (no loops, [MQTT-3.8.3-3]), and with
Retain As Published, so retained readings stay retained upstream.

One worker thread owns all state; paho's network threads only put events on its queue. Outgoing
QoS 1/2 messages are written to the on-disk spool (group commit) before the local broker gets its
PUBACK, handed to the remote client while it is connected (a bounded window, in order), and
removed from the spool when the remote broker acknowledges them. paho resends what it holds after
a reconnection; a restarted bridge resends what the spool still holds. Reconnection uses paho's
exponential backoff (``reconnect_delay``). The state is published to the upstream broker at
``$SYS/broker/connection/<name>/state`` (``1``, and ``0`` as the will and on a clean stop).
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from broker.bridge.config import BridgeConfig
from broker.bridge.spool import Spool

log = logging.getLogger("perch.bridge")

WINDOW = 100  # messages handed to the remote client and not yet acknowledged
LOCAL_SESSION_EXPIRY = 7 * 24 * 3600
_STOP = ("stop",)


@dataclass
class BridgeStats:
    forwarded_out: int = 0
    forwarded_in: int = 0
    dropped: int = 0  # oldest spooled messages dropped because the spool was full
    connects: int = 0


class Bridge:
    """``Bridge(config, local_host, local_port, state_dir).start()`` ... ``.stop()``."""

    def __init__(
        self,
        config: BridgeConfig,
        local_host: str,
        local_port: int,
        state_dir: str | Path,
        *,
        local_credentials: tuple[str, str] | None = None,
        durable: bool = True,
    ) -> None:
        """``local_credentials`` (username, password) when Perch's listener refuses anonymous clients."""
        self.config = config
        self._local_credentials = local_credentials
        self.local_host, self.local_port = local_host, local_port
        self.stats = BridgeStats()
        self.is_connected = False
        self._local_ready = threading.Event()
        self._remote_ready = threading.Event()
        self._spool = Spool(
            Path(state_dir) / f"{config.name}.spool",
            config.max_spooled_messages,
            config.max_spooled_bytes,
            durable,
        )
        self._events: queue.Queue[tuple] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._handed: dict[int, int] = {}  # remote packet id -> spool sequence
        self._handed_up_to = 0  # highest spool sequence handed to the remote client
        self._local_pending: dict[int, tuple[int, int]] = {}  # local mid -> (remote mid, qos)
        self.local = self._local_client()
        self.remote = self._remote_client()

    @property
    def spooled(self) -> int:
        return len(self._spool.messages)

    @property
    def problems(self) -> list[str]:
        return self._spool.problems

    # ---- clients -------------------------------------------------------------------------

    def _local_client(self) -> mqtt.Client:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"perch-bridge-{self.config.name}",
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        client.on_connect = lambda c, u, flags, reason, props: self._events.put(("local-up", reason))
        client.on_message = lambda c, u, message: self._events.put(("local-message", message))
        client.on_publish = lambda c, u, mid, reason, props: self._events.put(("local-acked", mid))
        client.on_subscribe = lambda c, u, mid, reasons, props: self._local_ready.set()
        if self._local_credentials is not None:
            client.username_pw_set(*self._local_credentials)
        client.reconnect_delay_set(1, 5)
        return client

    def _remote_client(self) -> mqtt.Client:
        config = self.config
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=config.remote_client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        if config.username is not None:
            client.username_pw_set(config.username, config.read_password())
        if config.tls is not None:
            client.tls_set(
                ca_certs=config.tls.ca_certs, certfile=config.tls.certfile, keyfile=config.tls.keyfile
            )
        client.will_set(config.state_topic, b"0", qos=1, retain=True)
        client.on_connect = lambda c, u, flags, reason, props: self._events.put(("remote-up", reason))
        client.on_disconnect = lambda c, u, flags, reason, props: self._events.put(("remote-down", reason))
        client.on_message = lambda c, u, message: self._events.put(("remote-message", message))
        client.on_publish = lambda c, u, mid, reason, props: self._events.put(("remote-acked", mid))
        client.on_subscribe = lambda c, u, mid, reasons, props: self._remote_ready.set()
        client.reconnect_delay_set(*config.reconnect_delay)
        client.max_queued_messages_set(0)
        return client

    def _session_properties(self, expiry: int) -> Properties:
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = expiry
        return properties

    # ---- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Connect both sides (in the background: an unreachable upstream is retried with backoff)."""
        self._worker = threading.Thread(target=self._run, name=f"bridge-{self.config.name}", daemon=True)
        self._worker.start()
        self.local.connect_async(
            self.local_host,
            self.local_port,
            keepalive=60,
            clean_start=False,
            properties=self._session_properties(LOCAL_SESSION_EXPIRY),
        )
        expiry = 0 if self.config.cleansession else 0xFFFFFFFF
        self.remote.connect_async(
            self.config.host,
            self.config.port,
            keepalive=self.config.keepalive,
            clean_start=self.config.cleansession,
            properties=self._session_properties(expiry),
        )
        self.local.loop_start()
        self.remote.loop_start()

    def wait_ready(self, timeout: float) -> bool:
        """Block until both sides are connected and subscribed (for tests and start-up logs)."""
        return self._local_ready.wait(timeout) and self._remote_ready.wait(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Say ``0`` upstream, disconnect both sides, and keep what is still spooled for next time.

        The worker stops first, so every message it took is committed and acknowledged before
        the local connection closes (anything later is redelivered by Perch's session).
        """
        if self._worker is not None:
            self._events.put(_STOP)
            self._worker.join(timeout)
            self._worker = None
        if self.remote.is_connected():
            self.remote.publish(self.config.state_topic, b"0", qos=1, retain=True).wait_for_publish(2)
        self.remote.disconnect()
        self.local.disconnect()
        self.remote.loop_stop()
        self.local.loop_stop()
        self._spool.commit()
        self.is_connected = False

    # ---- the worker ----------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            batch = [self._events.get()]
            while len(batch) < 1000:
                try:
                    batch.append(self._events.get_nowait())
                except queue.Empty:
                    break
            local_acks: list[tuple[int, int]] = []
            for event in batch:
                if event is _STOP:
                    self._finish(local_acks)
                    return
                try:
                    self._handle(event, local_acks)
                except Exception:  # one bad event must not stop the bridge
                    log.exception("bridge %s: event %s failed", self.config.name, event[0])
            self._finish(local_acks)
            self._hand_over()

    def _finish(self, local_acks: list[tuple[int, int]]) -> None:
        """One write + one sync for the whole batch, and only then the local PUBACKs."""
        self._spool.commit()
        for mid, qos in local_acks:
            self.local.ack(mid, qos)

    def _handle(self, event: tuple, local_acks: list[tuple[int, int]]) -> None:
        kind = event[0]
        if kind == "local-message":
            self._take_local(event[1], local_acks)
        elif kind == "remote-message":
            self._take_remote(event[1])
        elif kind == "remote-acked":
            sequence = self._handed.pop(event[1], None)
            if sequence is not None:
                self._spool.delivered(sequence)
                self.stats.forwarded_out += 1
        elif kind == "local-acked":
            remote = self._local_pending.pop(event[1], None)
            if remote is not None:
                self.remote.ack(*remote)
        elif kind == "local-up":
            filters = [(r.local_filter, r.qos) for r in self.config.topics if r.goes_out]
            self._subscribe(self.local, filters, self._local_ready)
        elif kind == "remote-up":
            self._remote_up(event[1])
        elif kind == "remote-down":
            self.is_connected = False
            self._remote_ready.clear()
            log.warning("bridge %s: upstream connection lost (%s)", self.config.name, event[1])

    def _remote_up(self, reason: Any) -> None:
        if reason.is_failure:
            log.warning("bridge %s: upstream refused the connection: %s", self.config.name, reason)
            return
        self.is_connected = True
        self.stats.connects += 1
        log.info("bridge %s: connected to %s:%d", self.config.name, self.config.host, self.config.port)
        self.remote.publish(self.config.state_topic, b"1", qos=1, retain=True)
        filters = [(r.remote_filter, r.qos) for r in self.config.topics if r.comes_in]
        self._subscribe(self.remote, filters, self._remote_ready)

    @staticmethod
    def _subscribe(client: mqtt.Client, filters: list[tuple[str, int]], ready: threading.Event) -> None:
        if not filters:
            ready.set()
            return
        options = [(f, SubscribeOptions(qos, noLocal=True, retainAsPublished=True)) for f, qos in filters]
        client.subscribe(options)

    def _take_local(self, message: mqtt.MQTTMessage, local_acks: list[tuple[int, int]]) -> None:
        rule = self.config.rule_for_local(message.topic)
        if rule is None:
            return
        topic = rule.remote_prefix + message.topic[len(rule.local_prefix) :]
        if message.qos == 0:
            if self.is_connected:
                self.remote.publish(topic, message.payload, 0, message.retain)
                self.stats.forwarded_out += 1
            return
        dropped = self._spool.dropped
        self._spool.append(topic, message.payload, message.qos, message.retain)
        self.stats.dropped += self._spool.dropped - dropped
        local_acks.append((message.mid, message.qos))

    def _take_remote(self, message: mqtt.MQTTMessage) -> None:
        rule = self.config.rule_for_remote(message.topic)
        if rule is None:
            if message.qos:
                self.remote.ack(message.mid, message.qos)
            return
        topic = rule.local_prefix + message.topic[len(rule.remote_prefix) :]
        info = self.local.publish(topic, message.payload, message.qos, message.retain)
        self.stats.forwarded_in += 1
        if message.qos:
            self._local_pending[info.mid] = (message.mid, message.qos)

    def _hand_over(self) -> None:
        """Give the remote client the next spooled messages, in order, while it is connected."""
        if not self.is_connected or len(self._handed) >= WINDOW:
            return
        for spooled in self._spool.after(self._handed_up_to, WINDOW - len(self._handed)):
            info = self.remote.publish(spooled.topic, spooled.payload, spooled.qos, spooled.retain)
            self._handed[info.mid] = spooled.sequence
            self._handed_up_to = spooled.sequence
