"""In-memory clients for protocol tests: real codec bytes in and out of a `Connection`, no sockets.

A `Hub` holds one broker core and a fake clock; each `FakeClient` owns a `Connection` and a
client-side decoder, so a test speaks MQTT exactly as a network client would.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from broker.codec import (
    ConnAck,
    Connect,
    Disconnect,
    PingReq,
    Properties,
    ProtocolVersion,
    PubAck,
    PubComp,
    Publish,
    PubRec,
    PubRel,
    SubAck,
    Subscribe,
    SubscriptionRequest,
    UnsubAck,
    Unsubscribe,
    Will,
)
from broker.codec.encoder import encode
from broker.codec.stream import StreamDecoder
from broker.config import BrokerConfig
from broker.core.broker import Broker
from broker.core.sessions import QueueLimits
from broker.protocol.connection import Connection
from broker.protocol.limits import ProtocolLimits

V311 = ProtocolVersion.V311
V5 = ProtocolVersion.V5

__all__ = [
    "V5",
    "V311",
    "ConnAck",
    "Connect",
    "Disconnect",
    "FakeClient",
    "Hub",
    "PingReq",
    "Properties",
    "PubAck",
    "PubComp",
    "PubRec",
    "PubRel",
    "Publish",
    "SubAck",
    "Subscribe",
    "SubscriptionRequest",
    "UnsubAck",
    "Unsubscribe",
    "Will",
]


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Hub:
    """One broker core, a clock, and the limits every new connection gets (by default what
    ``perch broker`` runs with, so the fast paths that depend on them are what is tested)."""

    limits: ProtocolLimits = field(default_factory=lambda: BrokerConfig().protocol_limits())
    queue_limits: QueueLimits = field(default_factory=QueueLimits)
    clock: FakeClock = field(default_factory=FakeClock)

    def __post_init__(self) -> None:
        self.broker = Broker(self.queue_limits)

    def client(self, version: ProtocolVersion = V5) -> FakeClient:
        return FakeClient(self, version)

    def connected(
        self, client_id: str, version: ProtocolVersion = V5, clean: bool = True, **connect: object
    ) -> FakeClient:
        client = self.client(version)
        connack = client.connect(client_id, clean=clean, **connect)
        assert connack.reason_code == 0, connack
        return client

    def advance(self, seconds: float) -> None:
        """Let time pass: core timers and every connection's timers run."""
        self.clock.advance(seconds)
        self.broker.tick(self.clock.now)


class FakeClient:
    def __init__(self, hub: Hub, version: ProtocolVersion) -> None:
        self.hub = hub
        self.version = version
        self.connection = Connection(hub.broker, hub.limits, hub.clock, peer="test")
        self.decoder = StreamDecoder(protocol_version=version)
        self.inbox: list[object] = []

    def send_bytes(self, data: bytes) -> None:
        self.connection.receive(data)

    def send(self, *packets: object) -> None:
        self.send_bytes(b"".join(encode(packet, self.version) for packet in packets))

    def received(self) -> list[object]:
        """Every packet the broker sent since the last call."""
        data = self.connection.take_output()
        if data:
            self.inbox.extend(self.decoder.feed(data))
        packets, self.inbox = self.inbox, []
        return packets

    def received_publishes(self) -> list[Publish]:
        return [packet for packet in self.received() if isinstance(packet, Publish)]

    def connect(
        self,
        client_id: str,
        clean: bool = True,
        keep_alive: int = 60,
        will: Will | None = None,
        properties: Properties | None = None,
    ) -> ConnAck:
        self.send(
            Connect(
                protocol_name="MQIsdp" if self.version == ProtocolVersion.V31 else "MQTT",
                protocol_version=self.version,
                clean_start=clean,
                keep_alive=keep_alive,
                client_id=client_id,
                will=will,
                properties=properties or Properties(),
            )
        )
        packets = self.received()
        assert packets and isinstance(packets[0], ConnAck), packets
        self.inbox = packets[1:]
        return packets[0]

    def subscribe(
        self, *filters: str, qos: int = 0, packet_id: int = 1, properties: Properties | None = None, **options
    ) -> SubAck:
        requests = [SubscriptionRequest(f, qos, **options) for f in filters]
        self.send(Subscribe(packet_id, requests, properties or Properties()))
        packets = self.received()
        assert packets and isinstance(packets[0], SubAck), packets
        self.inbox = packets[1:]
        return packets[0]

    def publish(self, topic: str, payload: bytes = b"x", qos: int = 0, retain: bool = False, **kw) -> None:
        packet_id = kw.pop("packet_id", 1 if qos else None)
        self.send(Publish(topic, payload, qos, retain, packet_id=packet_id, **kw))

    def disconnect(self, reason: int = 0, properties: Properties | None = None) -> None:
        self.send(Disconnect(reason, properties or Properties()))

    def drop(self) -> None:
        """The network connection breaks without a DISCONNECT."""
        self.connection.connection_lost()

    @property
    def is_closed(self) -> bool:
        return self.connection.is_closing
