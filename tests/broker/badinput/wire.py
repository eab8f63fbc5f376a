"""Tiny MQTT byte builders for the bad-input corpus, written from the spec (not the broker's codec).

Keeping these independent means a codec bug cannot hide itself by building the same wrong bytes
the broker expects. Every helper returns plain ``bytes``; malformed packets are built by hand
around them.
"""

from __future__ import annotations

import struct

V311, V5 = 4, 5

# Property identifiers (MQTT 5 section 2.2.2.2).
PAYLOAD_FORMAT = 0x01
MESSAGE_EXPIRY = 0x02
SUBSCRIPTION_ID = 0x0B
SESSION_EXPIRY = 0x11
AUTH_METHOD = 0x15
AUTH_DATA = 0x16
REQUEST_PROBLEM_INFO = 0x17
RECEIVE_MAXIMUM = 0x21
TOPIC_ALIAS = 0x23
USER_PROPERTY = 0x26
MAXIMUM_PACKET_SIZE = 0x27


def varint(value: int) -> bytes:
    """Variable Byte Integer, minimal encoding (spec 1.5.5)."""
    out = bytearray()
    while True:
        byte, value = value % 128, value // 128
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def u16(value: int) -> bytes:
    return struct.pack(">H", value)


def u32(value: int) -> bytes:
    return struct.pack(">I", value)


def utf8(text: str | bytes) -> bytes:
    """A length-prefixed string; bytes are sent as given (for invalid UTF-8)."""
    raw = text.encode() if isinstance(text, str) else text
    return u16(len(raw)) + raw


def packet(first_byte: int, body: bytes) -> bytes:
    return bytes([first_byte]) + varint(len(body)) + body


def props(*items: bytes) -> bytes:
    """A property block: length then the concatenated properties."""
    block = b"".join(items)
    return varint(len(block)) + block


def prop_byte(ident: int, value: int) -> bytes:
    return bytes([ident, value])


def prop_u16(ident: int, value: int) -> bytes:
    return bytes([ident]) + u16(value)


def prop_u32(ident: int, value: int) -> bytes:
    return bytes([ident]) + u32(value)


def prop_varint(ident: int, value: int) -> bytes:
    return bytes([ident]) + varint(value)


def prop_str(ident: int, text: str | bytes) -> bytes:
    return bytes([ident]) + utf8(text)


def connect(
    client_id: str | bytes = "",
    version: int = V5,
    flags: int = 0x02,
    keepalive: int = 30,
    properties: bytes | None = None,
    payload_tail: bytes = b"",
    name: bytes = b"MQTT",
) -> bytes:
    """CONNECT; ``flags`` is the raw connect-flags byte (default: clean start only)."""
    header = utf8(name) + bytes([version, flags]) + u16(keepalive)
    if version == V5:
        header += props() if properties is None else properties
    return packet(0x10, header + utf8(client_id) + payload_tail)


def publish(
    topic: str | bytes,
    payload: bytes = b"x",
    qos: int = 0,
    packet_id: int = 1,
    version: int = V5,
    properties: bytes | None = None,
    flags: int | None = None,
) -> bytes:
    body = utf8(topic)
    if qos:
        body += u16(packet_id)
    if version == V5:
        body += props() if properties is None else properties
    return packet(0x30 | (qos << 1 if flags is None else flags), body + payload)


def subscribe(
    filters: list[tuple[str | bytes, int]],
    packet_id: int = 1,
    version: int = V5,
    properties: bytes | None = None,
    first_byte: int = 0x82,
) -> bytes:
    body = u16(packet_id)
    if version == V5:
        body += props() if properties is None else properties
    body += b"".join(utf8(topic) + bytes([options]) for topic, options in filters)
    return packet(first_byte, body)


def unsubscribe(
    filters: list[str | bytes],
    packet_id: int = 1,
    version: int = V5,
    properties: bytes | None = None,
    first_byte: int = 0xA2,
) -> bytes:
    body = u16(packet_id)
    if version == V5:
        body += props() if properties is None else properties
    return packet(first_byte, body + b"".join(utf8(topic) for topic in filters))


def pubrel(packet_id: int, first_byte: int = 0x62) -> bytes:
    return packet(first_byte, u16(packet_id))


PINGREQ = b"\xc0\x00"
PINGRESP = b"\xd0\x00"
DISCONNECT = b"\xe0\x00"


def connack_code(data: bytes) -> int | None:
    """The return / reason code of a CONNACK at the start of ``data``, or None if there is none."""
    if len(data) >= 4 and data[0] == 0x20:
        return data[3]
    return None


def first_packet(data: bytes) -> tuple[int, bytes] | None:
    """(first byte, body) of the first complete packet in ``data``, or None."""
    if len(data) < 2:
        return None
    length, multiplier, index = 0, 1, 1
    while index < len(data) and index <= 4:
        byte = data[index]
        length += (byte & 0x7F) * multiplier
        multiplier *= 128
        index += 1
        if not byte & 0x80:
            end = index + length
            return (data[0], data[index:end]) if len(data) >= end else None
    return None


def split_packets(data: bytes) -> list[tuple[int, bytes]]:
    """Every complete packet in ``data`` as (first byte, body); a trailing fragment is ignored."""
    found: list[tuple[int, bytes]] = []
    while (item := first_packet(data)) is not None:
        _first_byte, body = item
        found.append(item)
        header = 1 + len(varint(len(body)))
        data = data[header + len(body) :]
    return found
