"""The one place where broker-side errors become wire reason codes.

Handlers raise :class:`ProtocolViolation` (or the codec raises ``MalformedPacket``); the connection
calls :func:`closing_packets` to learn what to send before it closes: a DISCONNECT with the reason
for MQTT 5 after CONNACK, a CONNACK failure code before it (both versions, where 3.1.1 has one), and
nothing for 3.1/3.1.1 once connected (they just close) [MQTT-4.13.1-1], [MQTT-4.13.2-1].
"""

from __future__ import annotations

from broker.codec import (
    ConnAck,
    ConnectReturnCode,
    Disconnect,
    MalformedPacket,
    Properties,
    ProtocolVersion,
    ReasonCode,
)


class ProtocolViolation(Exception):
    """The client broke a rule; the connection is closed with ``reason_code`` [spec_id]."""

    def __init__(self, reason_code: int, message: str, spec_id: str = "") -> None:
        super().__init__(f"{message} [{spec_id}]" if spec_id else message)
        self.reason_code = reason_code
        self.spec_id = spec_id


class ConnectRefused(Exception):
    """CONNECT was well-formed but is refused with a CONNACK reason code, then the connection closes."""

    def __init__(self, reason_code: int, message: str, spec_id: str = "") -> None:
        super().__init__(f"{message} [{spec_id}]" if spec_id else message)
        self.reason_code = reason_code
        self.spec_id = spec_id


def reason_of(error: Exception) -> int:
    """The MQTT 5 reason code for an error raised while handling input."""
    if isinstance(error, ProtocolViolation | ConnectRefused | MalformedPacket):
        return int(error.reason_code)
    return ReasonCode.UNSPECIFIED_ERROR


# CONNACK refusals that mean something to a 3.1/3.1.1 client; others just close the connection.
_V311_CONNACK_MEANINGFUL = {
    ReasonCode.UNSUPPORTED_PROTOCOL_VERSION: ConnectReturnCode.UNACCEPTABLE_PROTOCOL_VERSION,
    ReasonCode.CLIENT_IDENTIFIER_NOT_VALID: ConnectReturnCode.IDENTIFIER_REJECTED,
    ReasonCode.SERVER_UNAVAILABLE: ConnectReturnCode.SERVER_UNAVAILABLE,
    ReasonCode.SERVER_BUSY: ConnectReturnCode.SERVER_UNAVAILABLE,
    ReasonCode.BAD_USER_NAME_OR_PASSWORD: ConnectReturnCode.BAD_USER_NAME_OR_PASSWORD,
    ReasonCode.NOT_AUTHORIZED: ConnectReturnCode.NOT_AUTHORIZED,
}


def refusal_packet(version: int | None, reason: int, reason_string: str | None = None) -> ConnAck | None:
    """The CONNACK refusing a connection, or None when this version has no code for the reason."""
    if version == ProtocolVersion.V5:
        properties = Properties(reason_string=reason_string) if reason_string else Properties()
        return ConnAck(False, reason, properties)
    code = _V311_CONNACK_MEANINGFUL.get(reason)
    if code is None:
        return None
    return ConnAck(False, int(code))


def disconnect_packet(
    version: int | None, reason: int, reason_string: str | None = None
) -> Disconnect | None:
    """The DISCONNECT a server sends before closing: MQTT 5 only [MQTT-3.14.0-1]."""
    if version != ProtocolVersion.V5:
        return None
    properties = Properties(reason_string=reason_string) if reason_string else Properties()
    return Disconnect(reason, properties)
