"""PINGREQ, PINGRESP, DISCONNECT and AUTH (sections 3.12 to 3.15)."""

from __future__ import annotations

from broker.codec.errors import MalformedPacket, ProtocolError
from broker.codec.packet_types import PacketType
from broker.codec.packets import Auth, Disconnect, PingReq, PingResp
from broker.codec.primitives import frame, require_end
from broker.codec.properties import EMPTY_PROPERTIES, Properties
from broker.codec.property_codec import decode_properties, encode_properties
from broker.codec.reason_codes import ALLOWED_REASON_CODES, ProtocolVersion

Buffer = bytes
V5 = ProtocolVersion.V5
_PING_REQUEST = PingReq()
_PING_RESPONSE = PingResp()


def decode_pingreq(flags: int, buf: Buffer, pos: int, end: int, version: ProtocolVersion) -> PingReq:
    require_end(pos, end, "PINGREQ")
    return _PING_REQUEST


def decode_pingresp(flags: int, buf: Buffer, pos: int, end: int, version: ProtocolVersion) -> PingResp:
    require_end(pos, end, "PINGRESP")
    return _PING_RESPONSE


def _decode_reason_and_properties(
    buf: Buffer, pos: int, end: int, packet_type: PacketType
) -> tuple[int, Properties, int]:
    """The MQTT 5 tail shared by DISCONNECT and AUTH: both parts may be omitted."""
    if pos == end:
        return 0, EMPTY_PROPERTIES, pos
    reason_code = buf[pos]
    if reason_code not in ALLOWED_REASON_CODES[packet_type]:
        raise ProtocolError(f"reason code 0x{reason_code:02x} not allowed in {packet_type.name}", "MQTT5 2.4")
    properties = EMPTY_PROPERTIES
    pos += 1
    if pos < end:
        properties, pos = decode_properties(buf, pos, end, packet_type)
    require_end(pos, end, packet_type.name)
    return reason_code, properties, pos


def decode_disconnect(flags: int, buf: Buffer, pos: int, end: int, version: ProtocolVersion) -> Disconnect:
    if version != V5:
        require_end(pos, end, "DISCONNECT")
        return Disconnect(0, EMPTY_PROPERTIES)
    reason_code, properties, _ = _decode_reason_and_properties(buf, pos, end, PacketType.DISCONNECT)
    return Disconnect(reason_code, properties)


def decode_auth(flags: int, buf: Buffer, pos: int, end: int, version: ProtocolVersion) -> Auth:
    if version != V5:
        raise MalformedPacket("AUTH (packet type 15) is reserved before MQTT 5", "MQTT-2.2.1-1")
    reason_code, properties, _ = _decode_reason_and_properties(buf, pos, end, PacketType.AUTH)
    return Auth(reason_code, properties)


def encode_pingreq(packet: PingReq, version: ProtocolVersion) -> bytes:
    return b"\xc0\x00"


def encode_pingresp(packet: PingResp, version: ProtocolVersion) -> bytes:
    return b"\xd0\x00"


def _encode_reason_and_properties(first_byte: int, packet: Disconnect | Auth) -> bytes:
    properties = encode_properties(packet.properties)
    if properties == b"\x00":
        if not packet.reason_code:
            return bytes((first_byte, 0))
        return bytes((first_byte, 1, packet.reason_code))
    return frame(first_byte, bytes((packet.reason_code,)) + properties)


def encode_disconnect(packet: Disconnect, version: ProtocolVersion) -> bytes:
    if version != V5:
        return b"\xe0\x00"
    return _encode_reason_and_properties(0xE0, packet)


def encode_auth(packet: Auth, version: ProtocolVersion) -> bytes:
    if version != V5:
        raise ValueError("AUTH exists only in MQTT 5")
    return _encode_reason_and_properties(0xF0, packet)
