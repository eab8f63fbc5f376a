"""Errors the codec raises for bytes a peer should not have sent.

Each carries the MQTT 5 reason code to send (where MQTT 5 allows one) and the id of the normative statement
the bytes broke (`MQTT-x.y.z-n`; where the spec has no numbered statement, `MQTT5 <section>`), so the engine
can answer and log without knowing codec details.
"""

from __future__ import annotations

from typing import Any

from broker.codec.reason_codes import ProtocolVersion, ReasonCode


class MalformedPacket(Exception):
    """The peer sent bytes that are not a valid packet; the connection must be closed.

    `reason_code` is MALFORMED_PACKET unless a more precise code applies (PROTOCOL_ERROR,
    TOPIC_NAME_INVALID, ...). `decoded_before` holds the packets that `StreamDecoder.feed` decoded from
    the same chunk before the bad one, so the engine can still act on them before closing.
    `protocol_version` is set when a CONNECT failed after its protocol level was read, so the engine can
    refuse it in that version (an MQTT 5 CONNACK with the reason code) [MQTT-4.13.1-1].
    """

    default_reason = ReasonCode.MALFORMED_PACKET

    def __init__(self, message: str, spec_id: str = "", reason_code: ReasonCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.spec_id = spec_id
        self.reason_code = self.default_reason if reason_code is None else reason_code
        self.decoded_before: list[Any] = []
        self.protocol_version: ProtocolVersion | None = None

    def __str__(self) -> str:
        where = f" [{self.spec_id}]" if self.spec_id else ""
        return f"{self.message}{where}"


class ProtocolError(MalformedPacket):
    """Well-formed bytes that break a protocol rule (reason code 0x82)."""

    default_reason = ReasonCode.PROTOCOL_ERROR


class PacketTooLarge(MalformedPacket):
    """A packet declares more bytes than the receiver accepts (reason code 0x95)."""

    default_reason = ReasonCode.PACKET_TOO_LARGE

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"packet of {size} bytes exceeds the maximum of {limit}", "MQTT5 3.2.2.3.6")
        self.size = size
        self.limit = limit


class UnsupportedProtocolVersion(MalformedPacket):
    """CONNECT names a protocol level this broker does not speak [MQTT-3.1.2-2].

    The engine answers CONNACK 0x01 (3.1/3.1.1 clients) or 0x84 (MQTT 5) and closes; `level` is the
    level byte the client sent (bridge bit 0x80 removed).
    """

    default_reason = ReasonCode.UNSUPPORTED_PROTOCOL_VERSION

    def __init__(self, protocol_name: str, level: int) -> None:
        super().__init__(f"unsupported protocol {protocol_name!r} level {level}", "MQTT-3.1.2-2")
        self.protocol_name = protocol_name
        self.level = level
