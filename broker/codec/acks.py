"""PUBACK, PUBREC, PUBREL and PUBCOMP (sections 3.4 to 3.7): one shape, four packet types."""

from __future__ import annotations

from broker.codec.errors import MalformedPacket, ProtocolError
from broker.codec.packets import PubAck, PubComp, PubRec, PubRel
from broker.codec.primitives import frame, require_end
from broker.codec.properties import EMPTY_PROPERTIES
from broker.codec.property_codec import decode_properties, encode_properties
from broker.codec.reason_codes import ALLOWED_REASON_CODES, ProtocolVersion

Buffer = bytes
Ack = PubAck | PubRec | PubRel | PubComp
AckClass = type[PubAck] | type[PubRec] | type[PubRel] | type[PubComp]
V5 = ProtocolVersion.V5


def decode_ack(cls: AckClass, buf: Buffer, pos: int, end: int, version: ProtocolVersion) -> Ack:
    name = cls.__name__.upper()
    if pos + 2 > end:
        raise MalformedPacket(f"{name} packet identifier is missing", "MQTT5 3.4.2")
    packet_id = (buf[pos] << 8) | buf[pos + 1]
    if not packet_id:
        raise MalformedPacket(f"{name} has packet identifier 0", "MQTT-2.3.1-1")
    pos += 2
    if version != V5 or pos == end:
        require_end(pos, end, name)
        return cls(packet_id, 0, EMPTY_PROPERTIES)
    reason_code = buf[pos]
    if reason_code not in ALLOWED_REASON_CODES[cls.packet_type]:
        raise ProtocolError(f"reason code 0x{reason_code:02x} is not allowed in {name}", "MQTT5 3.4.2.1")
    pos += 1
    properties = EMPTY_PROPERTIES
    if pos < end:
        properties, pos = decode_properties(buf, pos, end, cls.packet_type)
    require_end(pos, end, name)
    return cls(packet_id, reason_code, properties)


def encode_ack(packet: Ack, version: ProtocolVersion) -> bytes:
    """Encode in the shortest form: MQTT 5 omits a success code and empty properties [MQTT5 3.4.2.1]."""
    first_byte = (packet.packet_type << 4) | (2 if isinstance(packet, PubRel) else 0)
    packet_id = packet.packet_id.to_bytes(2, "big")
    if version != V5:
        return bytes((first_byte, 2)) + packet_id
    properties = encode_properties(packet.properties)
    if properties == b"\x00":
        if not packet.reason_code:
            return bytes((first_byte, 2)) + packet_id
        return bytes((first_byte, 3)) + packet_id + bytes((packet.reason_code,))
    return frame(first_byte, packet_id + bytes((packet.reason_code,)) + properties)
