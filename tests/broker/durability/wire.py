"""A minimal MQTT 3.1.1 client over a raw socket, written from the spec for the durability tests.

It keeps exact control of what was acknowledged: the publisher counts PUBACK/PUBREC per packet
id, and the subscriber behaves as a correct QoS 2 receiver (a PUBLISH whose packet id is waiting
for PUBREL is a resend, not a new message [MQTT-4.3.3-9]) so any duplicate it reports is the
broker's.
"""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass, field
from typing import ClassVar

CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, DISCONNECT = 8, 9, 14


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("!H", len(data)) + data


def _packet(first_byte: int, body: bytes) -> bytes:
    length, encoded = len(body), bytearray()
    while True:
        digit, length = length % 128, length // 128
        encoded.append(digit | (0x80 if length else 0))
        if not length:
            return bytes([first_byte]) + bytes(encoded) + body


@dataclass
class RawClient:
    """One TCP connection; ``received`` holds (topic, payload, qos) per new application message."""

    port: int
    client_id: str
    clean_session: bool = True
    username: str | None = None
    password: str | None = None
    sock: socket.socket | None = None
    session_present: bool = False
    acked: dict[int, int] = field(default_factory=dict)  # packet id -> PUBACK/PUBREC type
    received: list[tuple[str, bytes, int]] = field(default_factory=list)
    awaiting_release: set[int] = field(default_factory=set)  # survives reconnects: session state
    _buffer: bytearray = field(default_factory=bytearray)
    open_sockets: ClassVar[list[socket.socket]] = []  # closed after each test (conftest)

    def connect(self, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        RawClient.open_sockets.append(self.sock)
        self._buffer.clear()
        flags = (0x02 if self.clean_session else 0x00) | (0xC0 if self.username is not None else 0)
        body = _string("MQTT") + bytes([4, flags]) + struct.pack("!H", 60) + _string(self.client_id)
        if self.username is not None:
            body += _string(self.username) + _string(self.password or "")
        self.sock.sendall(_packet(CONNECT << 4, body))
        kind, _, payload = self.read_packet(timeout)
        assert kind == CONNACK and payload[1] == 0, f"CONNACK refused: {payload!r}"
        self.session_present = bool(payload[0] & 1)

    def subscribe(self, topic_filter: str, qos: int, timeout: float = 10.0) -> int:
        self.sock.sendall(
            _packet(SUBSCRIBE << 4 | 2, struct.pack("!H", 1) + _string(topic_filter) + bytes([qos]))
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            kind, _, payload = self.read_packet(timeout)
            if kind == SUBACK:
                return payload[2]
            self._handle(kind, _, payload)
        raise TimeoutError("no SUBACK")

    def publish(self, topic: str, payload: bytes, qos: int, packet_id: int = 0, retain: bool = False) -> None:
        body = _string(topic) + (struct.pack("!H", packet_id) if qos else b"") + payload
        self.sock.sendall(_packet(PUBLISH << 4 | qos << 1 | int(retain), body))

    def disconnect(self) -> None:
        self.sock.sendall(_packet(DISCONNECT << 4, b""))
        self.close()

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def read_packet(self, timeout: float) -> tuple[int, int, bytes]:
        """(type, flags, body) of the next packet; raises TimeoutError or ConnectionError."""
        deadline = time.monotonic() + timeout
        while True:
            parsed = self._parse()
            if parsed is not None:
                return parsed
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no packet in time")
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            if not data:
                raise ConnectionError("the broker closed the connection")
            self._buffer += data

    def _parse(self) -> tuple[int, int, bytes] | None:
        buffer = self._buffer
        length, multiplier, index = 0, 1, 1
        while True:
            if index >= len(buffer):
                return None
            digit = buffer[index]
            length += (digit & 0x7F) * multiplier
            multiplier *= 128
            index += 1
            if not digit & 0x80:
                break
        if len(buffer) < index + length:
            return None
        first, body = buffer[0], bytes(buffer[index : index + length])
        del buffer[: index + length]
        return first >> 4, first & 0x0F, body

    def pump(self, timeout: float) -> bool:
        """Handle one incoming packet (acking as a correct receiver); False when none came in time."""
        try:
            kind, flags, body = self.read_packet(timeout)
        except TimeoutError:
            return False
        self._handle(kind, flags, body)
        return True

    def _handle(self, kind: int, flags: int, body: bytes) -> None:
        if kind in (PUBACK, PUBREC, PUBCOMP):
            (packet_id,) = struct.unpack("!H", body[:2])
            self.acked[packet_id] = kind
            if kind == PUBREC:
                self.sock.sendall(_packet(PUBREL << 4 | 2, body[:2]))
        elif kind == PUBLISH:
            self._on_publish(flags, body)
        elif kind == PUBREL:
            self.awaiting_release.discard(struct.unpack("!H", body[:2])[0])
            self.sock.sendall(_packet(PUBCOMP << 4, body[:2]))

    def _on_publish(self, flags: int, body: bytes) -> None:
        qos = (flags >> 1) & 3
        (topic_length,) = struct.unpack("!H", body[:2])
        topic = body[2 : 2 + topic_length].decode()
        rest = body[2 + topic_length :]
        if qos == 0:
            self.received.append((topic, rest, 0))
            return
        (packet_id,) = struct.unpack("!H", rest[:2])
        if qos == 1:
            self.received.append((topic, rest[2:], 1))
            self.sock.sendall(_packet(PUBACK << 4, rest[:2]))
            return
        if packet_id not in self.awaiting_release:  # else a resend of one we already have
            self.awaiting_release.add(packet_id)
            self.received.append((topic, rest[2:], 2))
        self.sock.sendall(_packet(PUBREC << 4, rest[:2]))
