"""SUBSCRIBE, SUBACK, UNSUBSCRIBE and UNSUBACK (sections 3.8 to 3.11)."""

from __future__ import annotations

from broker.codec.errors import MalformedPacket, ProtocolError
from broker.codec.packet_types import PacketType
from broker.codec.packets import SubAck, Subscribe, SubscriptionRequest, UnsubAck, Unsubscribe
from broker.codec.primitives import encode_string, frame, read_string
from broker.codec.properties import EMPTY_PROPERTIES, Properties
from broker.codec.property_codec import decode_properties, encode_properties
from broker.codec.reason_codes import ALLOWED_REASON_CODES, SUBACK_RETURN_CODES_V311, ProtocolVersion

Buffer = bytes
V5 = ProtocolVersion.V5


def _read_packet_id(buf: Buffer, pos: int, end: int, name: str) -> tuple[int, int]:
    if pos + 2 > end:
        raise MalformedPacket(f"{name} packet identifier is missing", "MQTT5 2.2.1")
    packet_id = (buf[pos] << 8) | buf[pos + 1]
    if not packet_id:
        raise MalformedPacket(f"{name} has packet identifier 0", "MQTT-2.3.1-1")
    return packet_id, pos + 2


def _read_header(
    buf: Buffer, pos: int, end: int, version: ProtocolVersion, packet_type: PacketType
) -> tuple[int, Properties, int]:
    packet_id, pos = _read_packet_id(buf, pos, end, packet_type.name)
    properties = EMPTY_PROPERTIES
    if version == V5:
        properties, pos = decode_properties(buf, pos, end, packet_type)
    return packet_id, properties, pos


def _subscription_options(options: int, version: ProtocolVersion) -> tuple[int, bool, bool, int]:
    qos = options & 3
    if qos == 3:
        raise MalformedPacket("subscription with QoS 3", "MQTT-3.8.3-4")
    if version != V5:
        if options & 0xFC:
            raise MalformedPacket("reserved bits set in the requested QoS byte", "MQTT-3.8.3-4")
        return qos, False, False, 0
    if options & 0xC0:
        raise MalformedPacket("reserved subscription option bits are set", "MQTT-3.8.3-5")
    retain_handling = (options >> 4) & 3
    if retain_handling == 3:
        raise ProtocolError("retain handling 3", "MQTT5 3.8.3.1")
    return qos, bool(options & 4), bool(options & 8), retain_handling


def decode_subscribe(flags: int, buf: Buffer, pos: int, end: int, version: ProtocolVersion) -> Subscribe:
    packet_id, properties, pos = _read_header(buf, pos, end, version, PacketType.SUBSCRIBE)
    subscriptions: list[SubscriptionRequest] = []
    while pos < end:
        topic_filter, pos = read_string(buf, pos, end)
        if pos >= end:
            raise MalformedPacket("SUBSCRIBE topic filter without subscription options", "MQTT5 3.8.3.1")
        qos, no_local, retain_as_published, retain_handling = _subscription_options(buf[pos], version)
        pos += 1
        subscriptions.append(
            SubscriptionRequest(topic_filter, qos, no_local, retain_as_published, retain_handling)
        )
    if not subscriptions:
        raise ProtocolError("SUBSCRIBE without any topic filter", "MQTT-3.8.3-3")
    return Subscribe(packet_id, subscriptions, properties)


def _options_byte(request: SubscriptionRequest, version: ProtocolVersion) -> int:
    if version != V5:
        return request.qos
    return (
        request.qos
        | (4 if request.no_local else 0)
        | (8 if request.retain_as_published else 0)
        | (request.retain_handling << 4)
    )


def encode_subscribe(packet: Subscribe, version: ProtocolVersion) -> bytes:
    parts = [packet.packet_id.to_bytes(2, "big")]
    if version == V5:
        parts.append(encode_properties(packet.properties))
    for request in packet.subscriptions:
        parts += (encode_string(request.topic_filter), bytes((_options_byte(request, version),)))
    return frame(0x82, b"".join(parts))


def decode_unsubscribe(flags: int, buf: Buffer, pos: int, end: int, version: ProtocolVersion) -> Unsubscribe:
    packet_id, properties, pos = _read_header(buf, pos, end, version, PacketType.UNSUBSCRIBE)
    topic_filters: list[str] = []
    while pos < end:
        topic_filter, pos = read_string(buf, pos, end)
        topic_filters.append(topic_filter)
    if not topic_filters:
        raise ProtocolError("UNSUBSCRIBE without any topic filter", "MQTT-3.10.3-2")
    return Unsubscribe(packet_id, topic_filters, properties)


def encode_unsubscribe(packet: Unsubscribe, version: ProtocolVersion) -> bytes:
    parts = [packet.packet_id.to_bytes(2, "big")]
    if version == V5:
        parts.append(encode_properties(packet.properties))
    parts.extend(encode_string(topic_filter) for topic_filter in packet.topic_filters)
    return frame(0xA2, b"".join(parts))


def _read_reason_codes(buf: Buffer, pos: int, end: int, allowed: frozenset[int], name: str) -> list[int]:
    reason_codes = list(buf[pos:end])
    for code in reason_codes:
        if code not in allowed:
            raise ProtocolError(f"reason code 0x{code:02x} is not allowed in {name}", "MQTT5 3.9.3")
    return reason_codes


def decode_suback(flags: int, buf: Buffer, pos: int, end: int, version: ProtocolVersion) -> SubAck:
    packet_id, properties, pos = _read_header(buf, pos, end, version, PacketType.SUBACK)
    allowed = ALLOWED_REASON_CODES[PacketType.SUBACK] if version == V5 else SUBACK_RETURN_CODES_V311
    reason_codes = _read_reason_codes(buf, pos, end, allowed, "SUBACK")
    if not reason_codes:
        raise ProtocolError("SUBACK without any reason code", "MQTT5 3.9.3")
    return SubAck(packet_id, reason_codes, properties)


def decode_unsuback(flags: int, buf: Buffer, pos: int, end: int, version: ProtocolVersion) -> UnsubAck:
    packet_id, properties, pos = _read_header(buf, pos, end, version, PacketType.UNSUBACK)
    if version != V5:
        if pos != end:
            raise MalformedPacket("UNSUBACK longer than its packet identifier", "MQTT5 3.11")
        return UnsubAck(packet_id, [], properties)
    reason_codes = _read_reason_codes(buf, pos, end, ALLOWED_REASON_CODES[PacketType.UNSUBACK], "UNSUBACK")
    if not reason_codes:
        raise ProtocolError("UNSUBACK without any reason code", "MQTT5 3.11.3")
    return UnsubAck(packet_id, reason_codes, properties)


def encode_suback(packet: SubAck, version: ProtocolVersion) -> bytes:
    properties = encode_properties(packet.properties) if version == V5 else b""
    return frame(0x90, packet.packet_id.to_bytes(2, "big") + properties + bytes(packet.reason_codes))


def encode_unsuback(packet: UnsubAck, version: ProtocolVersion) -> bytes:
    if version != V5:
        return b"\xb0\x02" + packet.packet_id.to_bytes(2, "big")
    body = (
        packet.packet_id.to_bytes(2, "big")
        + encode_properties(packet.properties)
        + bytes(packet.reason_codes)
    )
    return frame(0xB0, body)
