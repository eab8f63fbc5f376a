"""A synchronous face on paho-mqtt 2.x for tests: every call waits for its acknowledgement, with a bound."""

from __future__ import annotations

import queue
import socket
import threading
from typing import TYPE_CHECKING, Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

if TYPE_CHECKING:
    from tests.interop.brokers import BrokerUnderTest

WAIT = 5.0
VERSIONS = {3: mqtt.MQTTv31, 4: mqtt.MQTTv311, 5: mqtt.MQTTv5}


def props(packet_type: int, **values: Any) -> Properties:
    """paho Properties from keyword names such as ``MessageExpiryInterval=5``."""
    built = Properties(packet_type)
    for name, value in values.items():
        setattr(built, name, value)
    return built


def publish_props(**values: Any) -> Properties:
    return props(PacketTypes.PUBLISH, **values)


class PahoClient:
    """One paho client running its network loop in a thread, with queues of what the broker sent."""

    def __init__(
        self,
        broker: BrokerUnderTest,
        client_id: str,
        *,
        version: int = 5,
        clean: bool = True,
        keepalive: int = 30,
        transport: str = "tcp",
        connect_props: dict[str, Any] | None = None,
        will: dict[str, Any] | None = None,
    ) -> None:
        self.broker, self.version, self.clean, self.keepalive = broker, version, clean, keepalive
        self.transport = transport
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=clean if version < 5 else None,
            protocol=VERSIONS[version],
            transport=transport,
            reconnect_on_failure=False,
        )
        self.connect_props = props(PacketTypes.CONNECT, **connect_props) if connect_props else None
        if will is not None:
            self.client.will_set(**will)
        self.messages: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.connacks: queue.Queue[tuple[Any, Any, Any]] = queue.Queue()
        self.disconnects: queue.Queue[tuple[Any, Any]] = queue.Queue()
        self.subacks: dict[int, threading.Event] = {}
        self.granted: dict[int, list[int]] = {}
        self.client.on_connect = self._on_connect
        self.client.on_message = lambda _c, _u, message: self.messages.put(message)
        self.client.on_disconnect = self._on_disconnect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_unsubscribe = self._on_subscribe

    def _on_connect(self, _client: Any, _userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        self.connacks.put((flags, reason, properties))

    def _on_disconnect(self, _client: Any, _userdata: Any, _flags: Any, reason: Any, properties: Any) -> None:
        self.disconnects.put((reason, properties))

    def _on_subscribe(self, _client: Any, _userdata: Any, mid: int, reasons: Any, _properties: Any) -> None:
        self.granted[mid] = [code.value for code in reasons]
        self.subacks.setdefault(mid, threading.Event()).set()

    @property
    def port(self) -> int:
        return self.broker.ws_port if self.transport == "websockets" else self.broker.port

    def connect(self) -> tuple[Any, Any, Any]:
        """Connect and wait for CONNACK; returns paho's (flags, reason code, properties)."""
        clean_start = self.clean if self.version == 5 else mqtt.MQTT_CLEAN_START_FIRST_ONLY
        self.client.connect(
            self.broker.host,
            self.port,
            keepalive=self.keepalive,
            clean_start=clean_start,
            properties=self.connect_props,
        )
        self.client.loop_start()
        connack = self.connacks.get(timeout=WAIT)
        flags, reason, _ = connack
        assert not reason.is_failure, f"CONNACK refused: {reason}"
        self.session_present = bool(flags.session_present)
        return connack

    def subscribe(self, topic: str, qos: int = 0, **options: Any) -> list[int]:
        """Subscribe, wait for SUBACK and return its reason codes.

        ``options``: SubscribeOptions fields (noLocal, retainAsPublished, retainHandling) or subscription_id.
        """
        subscription_id = options.pop("subscription_id", None)
        properties = None
        if subscription_id is not None:
            properties = props(PacketTypes.SUBSCRIBE, SubscriptionIdentifier=subscription_id)
        request = (topic, SubscribeOptions(qos=qos, **options)) if self.version == 5 else (topic, qos)
        _, mid = self.client.subscribe([request], properties=properties)
        return self._wait_ack(mid)

    def unsubscribe(self, topic: str) -> None:
        _, mid = self.client.unsubscribe(topic)
        self._wait_ack(mid)

    def _wait_ack(self, mid: int) -> list[int]:
        event = self.subacks.setdefault(mid, threading.Event())
        assert event.wait(WAIT), "no SUBACK/UNSUBACK from the broker"
        return self.granted[mid]

    def publish(
        self, topic: str, payload: bytes | str = b"", qos: int = 0, retain: bool = False, **prop: Any
    ) -> None:
        """Publish and wait until the QoS flow completes (for QoS 0: until the bytes are written)."""
        properties = publish_props(**prop) if prop else None
        info = self.client.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        info.wait_for_publish(timeout=WAIT)
        assert info.is_published(), f"publish to {topic!r} at QoS {qos} not acknowledged"

    def receive(self, count: int = 1, timeout: float = WAIT) -> list[mqtt.MQTTMessage]:
        """Exactly the next ``count`` messages, failing if they do not all arrive in time."""
        received = []
        for index in range(count):
            try:
                received.append(self.messages.get(timeout=timeout))
            except queue.Empty:
                raise AssertionError(f"received {index} of {count} messages: {received}") from None
        return received

    def receive_none(self, wait: float = 0.5) -> None:
        """Fail if any message arrives within ``wait`` seconds."""
        try:
            message = self.messages.get(timeout=wait)
        except queue.Empty:
            return
        raise AssertionError(f"unexpected message on {message.topic!r}: {message.payload!r}")

    def wait_disconnect(self, timeout: float = WAIT) -> tuple[Any, Any]:
        try:
            return self.disconnects.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("the broker did not close the connection") from None

    def disconnect(self, **disconnect_props: Any) -> None:
        """A normal DISCONNECT (the will is discarded [MQTT-3.1.2-10]/[MQTT-3.14.4-3])."""
        properties = props(PacketTypes.DISCONNECT, **disconnect_props) if disconnect_props else None
        self.client.disconnect(properties=properties)
        self.wait_disconnect()
        self.client.loop_stop()

    def kill(self) -> None:
        """End the connection without DISCONNECT, as a crashed client or a lost network would."""
        sock = self.client.socket()
        raw = getattr(sock, "_socket", sock)  # the TCP socket under paho's WebSocket wrapper
        raw.shutdown(socket.SHUT_RDWR)  # the loop thread sees the end and stops: no reconnect
        self.wait_disconnect()
        self.client.loop_stop()

    def close(self) -> None:
        """Teardown: a DISCONNECT wakes the loop thread at once (it otherwise sleeps up to 1 s in select)."""
        if self.client.is_connected():
            self.client.disconnect()
        self.client.loop_stop()
        sock = self.client.socket()
        if sock is not None:
            sock.close()
