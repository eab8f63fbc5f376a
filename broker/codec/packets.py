"""The fifteen MQTT control packets as plain records, named as in the spec.

Fields hold decoded values only; wire details (lengths, flag bits) live in the encoder and decoder.
`reason_code` fields are ints (compare them with `ReasonCode` members). In MQTT 3.1/3.1.1, ConnAck's
`reason_code` is the 3.1.1 return code as decoded; `encode` also accepts an MQTT 5 reason code there and maps
it with `connack_return_code`. SubAck's codes are 0, 1, 2 or 0x80 in 3.1.1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from broker.codec.packet_types import PacketType
from broker.codec.properties import Properties
from broker.codec.reason_codes import ProtocolVersion


@dataclass(slots=True)
class Will:
    topic: str
    payload: bytes
    qos: int = 0
    retain: bool = False
    properties: Properties = field(default_factory=Properties)


@dataclass(slots=True)
class SubscriptionRequest:
    """One topic filter of a SUBSCRIBE with its subscription options (section 3.8.3.1)."""

    topic_filter: str
    qos: int = 0
    no_local: bool = False
    retain_as_published: bool = False
    retain_handling: int = 0


@dataclass(slots=True)
class Connect:
    protocol_name: str = "MQTT"
    protocol_version: ProtocolVersion = ProtocolVersion.V311
    clean_start: bool = True
    keep_alive: int = 60
    client_id: str = ""
    will: Will | None = None
    username: str | None = None
    password: bytes | None = None
    properties: Properties = field(default_factory=Properties)
    # Mosquitto bridges set bit 0x80 of the protocol level ("try_private"); kept so the engine may honour it.
    is_bridge: bool = False
    packet_type = PacketType.CONNECT


@dataclass(slots=True)
class ConnAck:
    session_present: bool = False
    reason_code: int = 0
    properties: Properties = field(default_factory=Properties)
    packet_type = PacketType.CONNACK


@dataclass(slots=True)
class Publish:
    topic: str
    payload: bytes = b""
    qos: int = 0
    retain: bool = False
    dup: bool = False
    packet_id: int | None = None
    properties: Properties = field(default_factory=Properties)
    # The received bytes of a plain QoS 0 3.1/3.1.1 PUBLISH (set by StreamDecoder), forwarded as-is.
    raw: bytes | None = field(default=None, compare=False, repr=False)
    packet_type = PacketType.PUBLISH


@dataclass(slots=True)
class PubAck:
    packet_id: int
    reason_code: int = 0
    properties: Properties = field(default_factory=Properties)
    packet_type = PacketType.PUBACK


@dataclass(slots=True)
class PubRec:
    packet_id: int
    reason_code: int = 0
    properties: Properties = field(default_factory=Properties)
    packet_type = PacketType.PUBREC


@dataclass(slots=True)
class PubRel:
    packet_id: int
    reason_code: int = 0
    properties: Properties = field(default_factory=Properties)
    packet_type = PacketType.PUBREL


@dataclass(slots=True)
class PubComp:
    packet_id: int
    reason_code: int = 0
    properties: Properties = field(default_factory=Properties)
    packet_type = PacketType.PUBCOMP


@dataclass(slots=True)
class Subscribe:
    packet_id: int
    subscriptions: list[SubscriptionRequest] = field(default_factory=list)
    properties: Properties = field(default_factory=Properties)
    packet_type = PacketType.SUBSCRIBE


@dataclass(slots=True)
class SubAck:
    packet_id: int
    reason_codes: list[int] = field(default_factory=list)
    properties: Properties = field(default_factory=Properties)
    packet_type = PacketType.SUBACK


@dataclass(slots=True)
class Unsubscribe:
    packet_id: int
    topic_filters: list[str] = field(default_factory=list)
    properties: Properties = field(default_factory=Properties)
    packet_type = PacketType.UNSUBSCRIBE


@dataclass(slots=True)
class UnsubAck:
    """In 3.1/3.1.1 an UNSUBACK has no reason codes: `reason_codes` is empty when decoded."""

    packet_id: int
    reason_codes: list[int] = field(default_factory=list)
    properties: Properties = field(default_factory=Properties)
    packet_type = PacketType.UNSUBACK


@dataclass(slots=True)
class PingReq:
    packet_type = PacketType.PINGREQ


@dataclass(slots=True)
class PingResp:
    packet_type = PacketType.PINGRESP


@dataclass(slots=True)
class Disconnect:
    reason_code: int = 0
    properties: Properties = field(default_factory=Properties)
    packet_type = PacketType.DISCONNECT


@dataclass(slots=True)
class Auth:
    """MQTT 5 only."""

    reason_code: int = 0
    properties: Properties = field(default_factory=Properties)
    packet_type = PacketType.AUTH


Packet = (
    Connect
    | ConnAck
    | Publish
    | PubAck
    | PubRec
    | PubRel
    | PubComp
    | Subscribe
    | SubAck
    | Unsubscribe
    | UnsubAck
    | PingReq
    | PingResp
    | Disconnect
    | Auth
)
