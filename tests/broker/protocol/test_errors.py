"""The one place errors become wire codes: CONNACK refusals per version, DISCONNECT only in MQTT 5."""

from __future__ import annotations

from broker.codec import MalformedPacket, ProtocolVersion, ReasonCode
from broker.protocol.errors import ProtocolViolation, disconnect_packet, reason_of, refusal_packet


def test_v311_refusals_use_return_codes_or_nothing():
    """3.1.1 section 3.2.2.3: return codes 1-5 only; other refusals just close."""
    assert refusal_packet(ProtocolVersion.V311, ReasonCode.CLIENT_IDENTIFIER_NOT_VALID).reason_code == 2
    assert refusal_packet(ProtocolVersion.V311, ReasonCode.NOT_AUTHORIZED).reason_code == 5
    assert refusal_packet(ProtocolVersion.V311, ReasonCode.MALFORMED_PACKET) is None


def test_v5_refusals_and_disconnects_carry_the_reason_code_and_string():
    connack = refusal_packet(ProtocolVersion.V5, ReasonCode.BANNED, "go away")
    assert (connack.reason_code, connack.properties.reason_string) == (ReasonCode.BANNED, "go away")
    disconnect = disconnect_packet(ProtocolVersion.V5, ReasonCode.PROTOCOL_ERROR)
    assert disconnect.reason_code == ReasonCode.PROTOCOL_ERROR
    assert disconnect_packet(ProtocolVersion.V311, ReasonCode.PROTOCOL_ERROR) is None  # [MQTT-3.14.0-1]


def test_reason_of_each_error_kind():
    assert reason_of(ProtocolViolation(ReasonCode.TOPIC_ALIAS_INVALID, "x")) == 0x94
    assert reason_of(MalformedPacket("bad")) == ReasonCode.MALFORMED_PACKET
    assert reason_of(RuntimeError("bug")) == ReasonCode.UNSPECIFIED_ERROR
