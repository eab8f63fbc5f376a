"""CONNECT and CONNACK (sections 3.1 and 3.2)."""

from __future__ import annotations

from broker.codec.errors import MalformedPacket, ProtocolError, UnsupportedProtocolVersion
from broker.codec.packet_types import WILL_PROPERTIES, PacketType
from broker.codec.packets import ConnAck, Connect, Will
from broker.codec.primitives import (
    encode_binary,
    encode_string,
    frame,
    read_binary,
    read_string,
    read_uint16,
    require_end,
)
from broker.codec.properties import EMPTY_PROPERTIES, Properties
from broker.codec.property_codec import decode_properties, encode_properties
from broker.codec.reason_codes import ALLOWED_REASON_CODES, ProtocolVersion, connack_return_code

Buffer = bytes
V5 = ProtocolVersion.V5

_LEVELS_BY_NAME: dict[str, frozenset[int]] = {"MQTT": frozenset({4, 5}), "MQIsdp": frozenset({3})}
_NAME_BY_VERSION = {ProtocolVersion.V31: "MQIsdp", ProtocolVersion.V311: "MQTT", ProtocolVersion.V5: "MQTT"}

# Connect flag bits (section 3.1.2.3).
_USERNAME, _PASSWORD, _WILL_RETAIN, _WILL, _CLEAN, _RESERVED = 0x80, 0x40, 0x20, 0x04, 0x02, 0x01


def protocol_version_of(name: str, level: int) -> ProtocolVersion:
    """The version a (protocol name, level) pair means, or the error the engine answers."""
    levels = _LEVELS_BY_NAME.get(name)
    if levels is None:
        raise ProtocolError(f"unknown protocol name {name!r}", "MQTT-3.1.2-1")
    if level not in levels:
        raise UnsupportedProtocolVersion(name, level)
    return ProtocolVersion(level)


def _check_connect_flags(flags: int, version: ProtocolVersion) -> None:
    if flags & _RESERVED:
        raise MalformedPacket("CONNECT reserved flag is set", "MQTT-3.1.2-3")
    will_qos = (flags >> 3) & 3
    if not flags & _WILL:
        if will_qos:
            raise MalformedPacket("will QoS set without the will flag", "MQTT-3.1.2-13")
        if flags & _WILL_RETAIN:
            raise MalformedPacket("will retain set without the will flag", "MQTT-3.1.2-15")
    elif will_qos == 3:
        raise MalformedPacket("will QoS 3", "MQTT-3.1.2-14")
    if version != V5 and flags & _PASSWORD and not flags & _USERNAME:
        raise MalformedPacket("password flag set without the user name flag", "MQTT-3.1.2-22")


def decode_connect(flags: int, buf: Buffer, pos: int, end: int) -> Connect:
    """Decode a CONNECT body; the protocol version comes from the packet itself."""
    name, pos = read_string(buf, pos, end)
    if pos + 4 > end:
        raise MalformedPacket("CONNECT variable header is truncated", "MQTT5 3.1.2")
    level_byte = buf[pos]
    version = protocol_version_of(name, level_byte & 0x7F)
    try:
        return _decode_connect_after_level(name, version, level_byte, buf, pos + 1, end)
    except MalformedPacket as error:
        error.protocol_version = version  # so the refusal is in the client's version [MQTT-4.13.1-1]
        raise


def _decode_connect_after_level(
    name: str, version: ProtocolVersion, level_byte: int, buf: Buffer, pos: int, end: int
) -> Connect:
    """The rest of a CONNECT, from the Connect Flags on (section 3.1.2.3)."""
    connect_flags = buf[pos]
    keep_alive, pos = read_uint16(buf, pos + 1, end)
    _check_connect_flags(connect_flags, version)
    properties = EMPTY_PROPERTIES
    if version == V5:
        properties, pos = decode_properties(buf, pos, end, PacketType.CONNECT)
        _check_authentication(properties)
    client_id, pos = read_string(buf, pos, end)
    will = None
    if connect_flags & _WILL:
        will, pos = _decode_will(connect_flags, buf, pos, end, version)
    username = password = None
    if connect_flags & _USERNAME:
        username, pos = read_string(buf, pos, end)
    if connect_flags & _PASSWORD:
        password, pos = read_binary(buf, pos, end)
    require_end(pos, end, "CONNECT")
    clean_start = bool(connect_flags & _CLEAN)
    is_bridge = bool(level_byte & 0x80)
    return Connect(
        name, version, clean_start, keep_alive, client_id, will, username, password, properties, is_bridge
    )


def _check_authentication(properties: Properties) -> None:
    if properties.authentication_data is not None and properties.authentication_method is None:
        raise ProtocolError("Authentication Data without an Authentication Method", "MQTT5 3.1.2.11.10")


def _decode_will(flags: int, buf: Buffer, pos: int, end: int, version: ProtocolVersion) -> tuple[Will, int]:
    properties = EMPTY_PROPERTIES
    if version == V5:
        properties, pos = decode_properties(buf, pos, end, WILL_PROPERTIES)
    topic, pos = read_string(buf, pos, end)
    payload, pos = read_binary(buf, pos, end)
    return Will(topic, payload, (flags >> 3) & 3, bool(flags & _WILL_RETAIN), properties), pos


def encode_connect(packet: Connect, version: ProtocolVersion) -> bytes:
    flags = _CLEAN if packet.clean_start else 0
    will = packet.will
    if will is not None:
        flags |= _WILL | (will.qos << 3) | (_WILL_RETAIN if will.retain else 0)
    if packet.username is not None:
        flags |= _USERNAME
    if packet.password is not None:
        flags |= _PASSWORD
    level = int(version) | (0x80 if packet.is_bridge else 0)
    parts = [
        encode_string(_NAME_BY_VERSION[version]),
        bytes((level, flags)),
        packet.keep_alive.to_bytes(2, "big"),
    ]
    if version == V5:
        parts.append(encode_properties(packet.properties))
    parts.append(encode_string(packet.client_id))
    if will is not None:
        if version == V5:
            parts.append(encode_properties(will.properties))
        parts += (encode_string(will.topic), encode_binary(will.payload))
    if packet.username is not None:
        parts.append(encode_string(packet.username))
    if packet.password is not None:
        parts.append(encode_binary(packet.password))
    return frame(0x10, b"".join(parts))


def decode_connack(flags: int, buf: Buffer, pos: int, end: int, version: ProtocolVersion) -> ConnAck:
    if pos + 2 > end:
        raise MalformedPacket("CONNACK is shorter than two bytes", "MQTT5 3.2.2")
    acknowledge_flags, reason_code = buf[pos], buf[pos + 1]
    if acknowledge_flags & 0xFE:
        raise MalformedPacket("CONNACK reserved acknowledge flags are set", "MQTT-3.2.2-1")
    pos += 2
    properties = EMPTY_PROPERTIES
    if version == V5:
        if reason_code not in ALLOWED_REASON_CODES[PacketType.CONNACK]:
            raise ProtocolError(f"reason code 0x{reason_code:02x} is not allowed in CONNACK", "MQTT5 3.2.2.2")
        properties, pos = decode_properties(buf, pos, end, PacketType.CONNACK)
    require_end(pos, end, "CONNACK")
    return ConnAck(bool(acknowledge_flags), reason_code, properties)


def encode_connack(packet: ConnAck, version: ProtocolVersion) -> bytes:
    """Encode CONNACK; for 3.1/3.1.1 an MQTT 5 reason code is mapped to the nearest return code."""
    session_present = 1 if packet.session_present and version != ProtocolVersion.V31 else 0
    if version == V5:
        return frame(
            0x20, bytes((session_present, packet.reason_code)) + encode_properties(packet.properties)
        )
    return b"\x20\x02" + bytes((session_present, connack_return_code(packet.reason_code)))
