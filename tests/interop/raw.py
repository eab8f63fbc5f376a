"""Hand-built MQTT bytes for the behaviours no client library lets a test express.

Written from the MQTT 3.1.1 and 5.0 specifications on purpose, without importing ``broker.codec``, so that
a codec bug cannot hide behind the same bug in the test's own encoder.
"""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass, field

CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT, AUTH = 8, 9, 10, 11, 12, 13, 14, 15

# MQTT 5 property identifiers (section 2.2.2.2) and how each one is encoded.
PAYLOAD_FORMAT, MESSAGE_EXPIRY, CONTENT_TYPE, RESPONSE_TOPIC, CORRELATION_DATA = 0x01, 0x02, 0x03, 0x08, 0x09
SUBSCRIPTION_ID, SESSION_EXPIRY, ASSIGNED_CLIENT_ID, SERVER_KEEP_ALIVE = 0x0B, 0x11, 0x12, 0x13
REQUEST_PROBLEM_INFO, WILL_DELAY, REASON_STRING, RECEIVE_MAXIMUM = 0x17, 0x18, 0x1F, 0x21
TOPIC_ALIAS_MAXIMUM, TOPIC_ALIAS, MAXIMUM_QOS, USER_PROPERTY, MAXIMUM_PACKET_SIZE = (
    0x22,
    0x23,
    0x24,
    0x26,
    0x27,
)

_BYTE, _U16, _U32, _VARINT, _UTF8, _BINARY, _PAIR = "byte", "u16", "u32", "varint", "utf8", "binary", "pair"
PROPERTY_KINDS = {
    0x01: _BYTE, 0x02: _U32, 0x03: _UTF8, 0x08: _UTF8, 0x09: _BINARY, 0x0B: _VARINT, 0x11: _U32, 0x12: _UTF8,
    0x13: _U16, 0x15: _UTF8, 0x16: _BINARY, 0x17: _BYTE, 0x18: _U32, 0x19: _BYTE, 0x1A: _UTF8, 0x1C: _UTF8,
    0x1F: _UTF8, 0x21: _U16, 0x22: _U16, 0x23: _U16, 0x24: _BYTE, 0x25: _BYTE, 0x26: _PAIR, 0x27: _U32,
    0x28: _BYTE, 0x29: _BYTE, 0x2A: _BYTE,
}  # fmt: skip

Property = tuple[int, object]


def varint(value: int) -> bytes:
    """Variable Byte Integer (section 1.5.5): 7 bits per byte, high bit means 'more'."""
    out = bytearray()
    while True:
        value, digit = divmod(value, 128)
        out.append(digit | (0x80 if value else 0))
        if not value:
            return bytes(out)


def utf8(text: str | bytes) -> bytes:
    """A length-prefixed string; bytes pass through unchecked so tests can send invalid UTF-8."""
    data = text.encode() if isinstance(text, str) else text
    return struct.pack("!H", len(data)) + data


def _property_value(kind: str, value: object) -> bytes:
    if kind == _BYTE:
        return bytes([value])
    if kind == _U16:
        return struct.pack("!H", value)
    if kind == _U32:
        return struct.pack("!I", value)
    if kind == _VARINT:
        return varint(value)
    if kind == _PAIR:
        name, text = value
        return utf8(name) + utf8(text)
    return utf8(value)  # UTF-8 string and binary data share the 2-byte length prefix


def properties(items: list[Property] | tuple[Property, ...] = ()) -> bytes:
    body = b"".join(varint(ident) + _property_value(PROPERTY_KINDS[ident], value) for ident, value in items)
    return varint(len(body)) + body


def packet(first_byte: int, body: bytes) -> bytes:
    return bytes([first_byte]) + varint(len(body)) + body


@dataclass
class Will:
    topic: str
    payload: bytes
    qos: int = 0
    retain: bool = False
    properties: tuple[Property, ...] = ()


def connect(
    client_id: str | bytes = "",
    *,
    version: int = 5,
    clean: bool = True,
    keepalive: int = 60,
    props: tuple[Property, ...] = (),
    will: Will | None = None,
) -> bytes:
    flags = 0x02 if clean else 0
    payload = utf8(client_id)
    if will is not None:
        flags |= 0x04 | (will.qos << 3) | (0x20 if will.retain else 0)
        will_props = properties(will.properties) if version == 5 else b""
        payload += will_props + utf8(will.topic) + utf8(will.payload)
    header = utf8("MQTT") + bytes([version, flags]) + struct.pack("!H", keepalive)
    if version == 5:
        header += properties(props)
    return packet(CONNECT << 4, header + payload)


def publish(
    topic: str | bytes,
    payload: bytes = b"",
    *,
    qos: int = 0,
    retain: bool = False,
    dup: bool = False,
    packet_id: int = 1,
    version: int = 5,
    props: tuple[Property, ...] = (),
) -> bytes:
    first = (PUBLISH << 4) | (0x08 if dup else 0) | (qos << 1) | (0x01 if retain else 0)
    body = utf8(topic) + (struct.pack("!H", packet_id) if qos else b"")
    if version == 5:
        body += properties(props)
    return packet(first, body + payload)


def subscribe(
    packet_id: int, filters: list[tuple[str, int]], *, version: int = 5, props: tuple[Property, ...] = ()
) -> bytes:
    """``filters`` pairs a topic filter with its options byte (QoS in bits 0-1 in every version)."""
    body = struct.pack("!H", packet_id) + (properties(props) if version == 5 else b"")
    body += b"".join(utf8(topic) + bytes([options]) for topic, options in filters)
    return packet((SUBSCRIBE << 4) | 0x02, body)


def ack(kind: int, packet_id: int) -> bytes:
    """PUBACK, PUBREC, PUBREL or PUBCOMP with reason Success (the short form, valid in every version)."""
    return packet((kind << 4) | (0x02 if kind == PUBREL else 0), struct.pack("!H", packet_id))


def disconnect(reason: int = 0, *, version: int = 5) -> bytes:
    return packet(DISCONNECT << 4, bytes([reason, 0]) if version == 5 else b"")


@dataclass
class Packet:
    kind: int
    flags: int
    body: bytes
    props: dict[int, list[object]] = field(default_factory=dict)


def read_varint(data: bytes, offset: int) -> tuple[int, int]:
    value, shift = 0, 0
    for _ in range(4):
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, offset
    raise ValueError("variable byte integer longer than 4 bytes")


def _read_property(kind: str, data: bytes, offset: int) -> tuple[object, int]:
    if kind == _BYTE:
        return data[offset], offset + 1
    if kind == _U16:
        return struct.unpack_from("!H", data, offset)[0], offset + 2
    if kind == _U32:
        return struct.unpack_from("!I", data, offset)[0], offset + 4
    if kind == _VARINT:
        return read_varint(data, offset)
    if kind == _PAIR:
        name, offset = _read_property(_UTF8, data, offset)
        text, offset = _read_property(_UTF8, data, offset)
        return (name, text), offset
    length = struct.unpack_from("!H", data, offset)[0]
    raw = data[offset + 2 : offset + 2 + length]
    return (raw.decode() if kind == _UTF8 else raw), offset + 2 + length


def read_properties(data: bytes, offset: int) -> tuple[dict[int, list[object]], int]:
    """Decode a property block; each identifier maps to its values in the order they came."""
    length, offset = read_varint(data, offset)
    end, found = offset + length, {}
    while offset < end:
        ident, offset = read_varint(data, offset)
        value, offset = _read_property(PROPERTY_KINDS[ident], data, offset)
        found.setdefault(ident, []).append(value)
    return found, end


@dataclass
class Message:
    """A decoded PUBLISH."""

    topic: str
    payload: bytes
    qos: int
    retain: bool
    dup: bool
    packet_id: int | None
    props: dict[int, list[object]]


def parse_publish(pkt: Packet, version: int = 5) -> Message:
    qos = (pkt.flags >> 1) & 0x03
    length = struct.unpack_from("!H", pkt.body, 0)[0]
    topic, offset = pkt.body[2 : 2 + length].decode(), 2 + length
    packet_id = None
    if qos:
        packet_id, offset = struct.unpack_from("!H", pkt.body, offset)[0], offset + 2
    props: dict[int, list[object]] = {}
    if version == 5:
        props, offset = read_properties(pkt.body, offset)
    return Message(topic, pkt.body[offset:], qos, bool(pkt.flags & 1), bool(pkt.flags & 8), packet_id, props)


def reason_code(pkt: Packet) -> int:
    """The reason code of a CONNACK (second byte) or a v5 DISCONNECT (first byte; absent means 0x00)."""
    if pkt.kind == CONNACK:
        return pkt.body[1]
    return pkt.body[0] if pkt.body else 0


class RawClient:
    """A blocking socket that reads whole MQTT packets, with every wait bounded."""

    def __init__(self, host: str, port: int, timeout: float = 5.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buffer = b""
        self.version = 5

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _fill(self, deadline: float) -> bool:
        """Read more bytes; False on a closed or reset connection. Raises TimeoutError past the deadline."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no packet from the broker in time")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError:
            raise
        except OSError:
            return False
        self.buffer += chunk
        return bool(chunk)

    def _complete_packet(self) -> Packet | None:
        if len(self.buffer) < 2:
            return None
        try:
            length, start = read_varint(self.buffer, 1)
        except IndexError:
            return None
        if len(self.buffer) < start + length:
            return None
        first, body = self.buffer[0], self.buffer[start : start + length]
        self.buffer = self.buffer[start + length :]
        pkt = Packet(first >> 4, first & 0x0F, body)
        if self.version == 5 and pkt.kind in (CONNACK, DISCONNECT) and len(body) > 2:
            pkt.props = read_properties(body, 2 if pkt.kind == CONNACK else 1)[0]
        return pkt

    def read(self, timeout: float = 5.0) -> Packet | None:
        """The next packet, or None when the broker closed the connection."""
        deadline = time.monotonic() + timeout
        while (pkt := self._complete_packet()) is None:
            if not self._fill(deadline):
                return None
        return pkt

    def expect(self, kind: int, timeout: float = 5.0) -> Packet:
        pkt = self.read(timeout)
        assert pkt is not None, f"connection closed while waiting for packet type {kind}"
        assert pkt.kind == kind, f"expected packet type {kind}, got {pkt.kind} ({pkt.body!r})"
        return pkt

    def expect_any(self, *kinds: int, timeout: float = 5.0) -> Packet:
        """The next packet, which must be one of ``kinds`` (for replies whose order the spec leaves open)."""
        pkt = self.read(timeout)
        assert pkt is not None, f"connection closed while waiting for packet types {kinds}"
        assert pkt.kind in kinds, f"expected one of packet types {kinds}, got {pkt.kind} ({pkt.body!r})"
        return pkt

    def read_until_closed(self, timeout: float = 5.0) -> list[Packet]:
        """Every packet the broker sends before closing; fails if it keeps the connection open."""
        received: list[Packet] = []
        deadline = time.monotonic() + timeout
        for _ in range(10_000):
            try:
                pkt = self.read(max(deadline - time.monotonic(), 0.001))
            except TimeoutError:
                raise AssertionError(f"broker kept the connection open; it sent {received}") from None
            if pkt is None:
                return received
            received.append(pkt)
        raise AssertionError("broker kept sending packets instead of closing")

    def is_silent(self, wait: float) -> bool:
        """True when nothing arrives within ``wait`` seconds (the connection stays open and quiet)."""
        try:
            self.read(wait)
        except TimeoutError:
            return True
        return False


def connect_raw(
    host: str, port: int, client_id: str = "", *, version: int = 5, **connect_args: object
) -> tuple[RawClient, Packet]:
    """Open a connection, send CONNECT, and return the client with the broker's CONNACK."""
    client = RawClient(host, port)
    client.version = version
    client.send(connect(client_id, version=version, **connect_args))
    connack = client.expect(CONNACK)
    return client, connack
