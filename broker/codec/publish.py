"""PUBLISH (section 3.3): the hot path in both directions.

Decoding is a few slices and one UTF-8 decode; the payload is copied once. Encoding is a handful of
concatenations, and `PublishTemplate` encodes one message once per variant so fan-out only splices a packet
identifier into pre-built bytes.
"""

from __future__ import annotations

from broker.codec.errors import MalformedPacket, ProtocolError
from broker.codec.packet_types import PacketType
from broker.codec.packets import Publish
from broker.codec.primitives import encode_varint
from broker.codec.properties import EMPTY_PROPERTIES, Properties
from broker.codec.property_codec import decode_properties, encode_properties
from broker.codec.reason_codes import ProtocolVersion, ReasonCode

Buffer = bytes
V5 = ProtocolVersion.V5
_FIRST_BYTES: tuple[bytes, ...] = tuple(bytes((0x30 | flags,)) for flags in range(16))
_SMALL_VARINTS: tuple[bytes, ...] = tuple(bytes((value,)) for value in range(128))


def decode_publish(flags: int, buf: Buffer, pos: int, end: int, version: ProtocolVersion) -> Publish:
    qos = (flags >> 1) & 3
    if qos == 3:
        raise MalformedPacket("PUBLISH with QoS 3", "MQTT-3.3.1-4")
    if flags & 8 and not qos:
        raise MalformedPacket("DUP flag set on a QoS 0 PUBLISH", "MQTT-3.3.1-2")
    if pos + 2 > end:
        raise MalformedPacket("PUBLISH topic length is missing", "MQTT-3.3.2-1")
    topic_end = pos + 2 + ((buf[pos] << 8) | buf[pos + 1])
    if topic_end > end:
        raise MalformedPacket("PUBLISH topic runs past the end of the packet", "MQTT-3.3.2-1")
    try:
        topic = buf[pos + 2 : topic_end].decode()  # inlined decode_utf8: this is the hot path
    except UnicodeDecodeError as error:
        raise MalformedPacket(f"ill-formed UTF-8 topic ({error.reason})", "MQTT-1.5.3-1") from None
    if "\x00" in topic:
        raise MalformedPacket("topic contains U+0000", "MQTT-1.5.3-2")
    if "+" in topic or "#" in topic:  # [MQTT-3.3.2-2]; checked here as it is two C-level scans
        raise MalformedPacket(
            "wildcard character in a PUBLISH topic name", "MQTT-3.3.2-2", ReasonCode.TOPIC_NAME_INVALID
        )
    pos = topic_end
    packet_id = None
    if qos:
        if pos + 2 > end:
            raise MalformedPacket("PUBLISH packet identifier is missing", "MQTT-2.3.1-1")
        packet_id = (buf[pos] << 8) | buf[pos + 1]
        if not packet_id:
            raise MalformedPacket("PUBLISH with QoS > 0 has packet identifier 0", "MQTT-2.3.1-1")
        pos += 2
    properties = EMPTY_PROPERTIES
    if version == 5:
        properties, pos = _decode_publish_properties(topic, buf, pos, end)
    elif not topic:
        raise ProtocolError("empty topic name", "MQTT-4.7.3-1", ReasonCode.TOPIC_NAME_INVALID)
    return Publish(topic, buf[pos:end], qos, flags & 1 == 1, flags & 8 == 8, packet_id, properties)


def _decode_publish_properties(topic: str, buf: Buffer, pos: int, end: int) -> tuple[Properties, int]:
    if pos < end and buf[pos] == 0:
        properties, pos = EMPTY_PROPERTIES, pos + 1
    else:
        properties, pos = decode_properties(buf, pos, end, PacketType.PUBLISH)
    if not topic and properties.topic_alias is None:
        raise ProtocolError("empty topic name without a topic alias", "MQTT5 3.3.2.3.4")
    return properties, pos


TOPIC_FIELD_CACHE_SIZE = 4096
_topic_fields: dict[str | bytes, bytes] = {}


def _topic_field(topic: str | bytes) -> bytes:
    """The length-prefixed topic, cached per topic (sensor topics repeat; bounded, cleared when full)."""
    field = _topic_fields.get(topic)
    if field is not None:
        return field
    raw = topic.encode() if isinstance(topic, str) else topic
    if len(raw) > 0xFFFF:
        raise ValueError(f"topic of {len(raw)} bytes exceeds 65535")
    field = len(raw).to_bytes(2, "big") + raw
    if len(_topic_fields) >= TOPIC_FIELD_CACHE_SIZE:
        _topic_fields.clear()
    _topic_fields[topic] = field
    return field


def encode_plain_publish(topic: str, payload: bytes) -> bytes:
    """A QoS 0 PUBLISH without RETAIN, DUP or properties: the bytes 3.1 and 3.1.1 subscribers get for
    most messages, so fan-in and fan-out build them with one cached lookup and one join."""
    topic_field = _topic_field(topic)
    remaining = len(topic_field) + len(payload)
    length_field = _SMALL_VARINTS[remaining] if remaining < 128 else encode_varint(remaining)
    return b"".join((b"\x30", length_field, topic_field, payload))


def encode_publish(
    topic: str | bytes,
    payload: bytes,
    qos: int,
    retain: bool,
    dup: bool,
    packet_id: int | None,
    properties: Properties | None,
    version: ProtocolVersion,
) -> bytes:
    """Encode one PUBLISH without building a `Publish` record (the hot path).

    `topic` may be pre-encoded UTF-8 bytes, which saves an encode per call when forwarding.
    """
    raw_topic = topic.encode() if type(topic) is str else topic
    topic_length = len(raw_topic)  # type: ignore[arg-type]
    if topic_length > 0xFFFF:
        raise ValueError(f"topic of {topic_length} bytes exceeds 65535")
    packet_id_field = packet_id.to_bytes(2, "big") if qos else b""  # type: ignore[union-attr]
    property_field = encode_properties(properties) if version == 5 else b""
    remaining = 2 + topic_length + len(packet_id_field) + len(property_field) + len(payload)
    return b"".join(
        (
            _FIRST_BYTES[(qos << 1) | (1 if retain else 0) | (8 if dup else 0)],
            _SMALL_VARINTS[remaining] if remaining < 128 else encode_varint(remaining),
            topic_length.to_bytes(2, "big"),
            raw_topic,  # type: ignore[arg-type]
            packet_id_field,
            property_field,
            payload,
        )
    )


def encode_publish_packet(packet: Publish, version: ProtocolVersion) -> bytes:
    return encode_publish(
        packet.topic,
        packet.payload,
        packet.qos,
        packet.retain,
        packet.dup,
        packet.packet_id,
        packet.properties,
        version,
    )


class PublishTemplate:
    """One message encoded once for one (version, QoS, retain, properties) variant.

    `render(packet_id, dup)` returns the packet's bytes; for QoS 0 it is always the same bytes object,
    for QoS 1/2 it splices the packet identifier between the pre-encoded topic and the rest.
    """

    __slots__ = ("_head", "_tail", "qos", "size")

    def __init__(
        self,
        topic: str | bytes,
        payload: bytes,
        qos: int,
        retain: bool,
        properties: Properties | None,
        version: ProtocolVersion,
    ) -> None:
        topic_field = _topic_field(topic)
        property_field = encode_properties(properties) if version == V5 else b""
        remaining = len(topic_field) + (2 if qos else 0) + len(property_field) + len(payload)
        length_field = _SMALL_VARINTS[remaining] if remaining < 128 else encode_varint(remaining)
        self.qos = qos
        self.size = 1 + len(length_field) + remaining
        head = _FIRST_BYTES[(qos << 1) | (1 if retain else 0)] + length_field + topic_field
        self._tail = property_field + payload if property_field else payload
        self._head = head if qos else head + self._tail

    @classmethod
    def from_parts(cls, head: bytes, tail: bytes) -> PublishTemplate:
        """The template of a received QoS 1/2 PUBLISH without DUP, from its own bytes before and after
        the packet id (for the same QoS, RETAIN and version, nothing else differs per subscriber)."""
        template = cls.__new__(cls)
        template.qos = (head[0] >> 1) & 3
        template.size = len(head) + 2 + len(tail)
        template._head = head
        template._tail = tail
        return template

    def render(self, packet_id: int | None = None, dup: bool = False) -> bytes:
        if not self.qos:
            return self._head
        head = self._head
        if dup:  # a resend [MQTT-3.3.1-1]: rare, so the DUP variant is not kept
            head = bytes((head[0] | 8,)) + head[1:]
        return b"".join((head, packet_id.to_bytes(2, "big"), self._tail))  # type: ignore[union-attr]
