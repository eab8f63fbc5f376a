"""MQTT packets the load generator sends, encoded once up front, and a small reader for what comes back.

The benchmark keeps its own encoder (a few dozen lines) rather than Perch's codec, so a codec bug in the
broker under test cannot hide behind the same bug in the tool that measures it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

MQTT_311, MQTT_5 = 4, 5
CONNACK, PUBLISH, PUBACK, SUBACK, PINGRESP = 2, 3, 4, 9, 13
PINGREQ = b"\xc0\x00"


def varint(value: int) -> bytes:
    """The Remaining Length encoding: 7 bits a byte, low first, high bit set while more follow."""
    out = bytearray()
    while True:
        value, digit = divmod(value, 128)
        out.append(digit | (0x80 if value else 0))
        if not value:
            return bytes(out)


def utf8(text: str) -> bytes:
    data = text.encode()
    return struct.pack("!H", len(data)) + data


def _packet(first_byte: int, body: bytes) -> bytes:
    return bytes([first_byte]) + varint(len(body)) + body


def connect(client_id: str, version: int = MQTT_311, keepalive: int = 600) -> bytes:
    """CONNECT with a clean start and no credentials (the brokers run with anonymous access)."""
    properties = b"\x00" if version == MQTT_5 else b""
    variable = utf8("MQTT") + bytes([version, 0x02]) + struct.pack("!H", keepalive) + properties
    return _packet(0x10, variable + utf8(client_id))


def subscribe(topic_filter: str, qos: int, version: int = MQTT_311, packet_id: int = 1) -> bytes:
    properties = b"\x00" if version == MQTT_5 else b""
    return _packet(0x82, struct.pack("!H", packet_id) + properties + utf8(topic_filter) + bytes([qos]))


def publish(
    topic: str,
    payload: bytes,
    qos: int = 0,
    version: int = MQTT_311,
    packet_id: int = 0,
    retain: bool = False,
) -> bytes:
    first = 0x30 | (qos << 1) | (1 if retain else 0)
    packet_id_bytes = struct.pack("!H", packet_id) if qos else b""
    properties = b"\x00" if version == MQTT_5 else b""
    return _packet(first, utf8(topic) + packet_id_bytes + properties + payload)


def puback(packet_id: int) -> bytes:
    """PUBACK with no reason code: valid in 3.1.1 and, meaning Success, in 5.0."""
    return b"\x40\x02" + struct.pack("!H", packet_id)


DISCONNECT = b"\xe0\x00"


@dataclass(frozen=True)
class Packet:
    """One received packet: its type, flags and the bytes after the fixed header."""

    packet_type: int
    flags: int
    body: bytes

    def publish_parts(self, version: int) -> tuple[str, int, bytes]:
        """(topic, packet id or 0, payload) of a PUBLISH."""
        (topic_length,) = struct.unpack_from("!H", self.body)
        position = 2 + topic_length
        topic = self.body[2:position].decode()
        packet_id = 0
        if self.flags & 0x06:
            (packet_id,) = struct.unpack_from("!H", self.body, position)
            position += 2
        if version == MQTT_5:
            length, used = decode_varint(self.body, position)
            position += used + length
        return topic, packet_id, self.body[position:]


def decode_varint(data: bytes | bytearray, position: int) -> tuple[int, int]:
    """(value, bytes used) of the variable byte integer at position; raises IndexError when incomplete."""
    value, multiplier, used = 0, 1, 0
    while True:
        byte = data[position + used]
        used += 1
        value += (byte & 0x7F) * multiplier
        if not byte & 0x80:
            return value, used
        multiplier *= 128
        if used == 4:
            raise ValueError("malformed Remaining Length")


class PacketReader:
    """Splits a byte stream into packets; feed() returns the complete ones."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def feed(self, data: bytes) -> list[Packet]:
        self.buffer += data
        packets, position, buffer = [], 0, self.buffer
        while len(buffer) - position >= 2:
            try:
                length, used = decode_varint(buffer, position + 1)
            except IndexError:
                break
            end = position + 1 + used + length
            if end > len(buffer):
                break
            first = buffer[position]
            packets.append(Packet(first >> 4, first & 0x0F, bytes(buffer[end - length : end])))
            position = end
        del buffer[:position]
        return packets


class UnexpectedStream(Exception):
    """The broker sent something other than the uniform PUBLISH stream a counter expects."""


class UniformCounter:
    """Counts a stream of PUBLISH packets that all have the same size, at the speed of bytes.

    Throughput scenarios send identically sized messages, so a subscriber needs no per-packet Python
    work: the first packet gives the size and first byte, every later chunk is checked by taking every
    size-th byte (the first byte of each packet) in one slice, and the count is bytes / size.
    """

    def __init__(self) -> None:
        self.size = 0
        self.first_byte = 0
        self.count = 0
        self._offset = 0  # bytes already seen of the packet in progress
        self._head = bytearray()

    def feed(self, data: bytes) -> None:
        if not self.size:
            self._head += data
            if not self._learn_size():
                return
            data, self._head = bytes(self._head), bytearray()
        start = (self.size - self._offset) % self.size
        heads = data[start :: self.size]
        if heads.count(self.first_byte) != len(heads):
            raise UnexpectedStream(f"packet boundary without byte {self.first_byte:#x}")
        total = self._offset + len(data)
        self.count += total // self.size
        self._offset = total % self.size

    def _learn_size(self) -> bool:
        try:
            length, used = decode_varint(self._head, 1)
        except IndexError:
            return False
        if self._head[0] >> 4 != PUBLISH:
            raise UnexpectedStream(f"first packet type {self._head[0] >> 4}, not PUBLISH")
        self.first_byte, self.size = self._head[0], 1 + used + length
        return True
