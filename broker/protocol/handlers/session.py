"""PINGREQ, DISCONNECT and AUTH: keeping the connection alive and ending it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from broker.codec import Auth, Disconnect, PingReq, PingResp, ReasonCode
from broker.protocol.errors import ProtocolViolation

if TYPE_CHECKING:
    from broker.protocol.connection import Connection


def handle_pingreq(conn: Connection, packet: PingReq) -> None:
    conn.send(PingResp())  # [MQTT-3.12.4-1]


def handle_disconnect(conn: Connection, packet: Disconnect) -> None:
    """A normal end: the will is discarded unless MQTT 5 reason 0x04 asks for it [MQTT-3.14.4-3]."""
    expiry = packet.properties.session_expiry_interval
    session = conn.session
    if expiry is not None:
        if session.expiry_interval == 0 and expiry != 0:
            raise ProtocolViolation(
                ReasonCode.PROTOCOL_ERROR,
                "session expiry set on DISCONNECT after 0 on CONNECT",
                "MQTT-3.14.2-2",
            )
        session.expiry_interval = expiry
    publish_will = packet.reason_code == ReasonCode.DISCONNECT_WITH_WILL
    conn.close(f"client disconnected (reason 0x{packet.reason_code:02X})", publish_will=publish_will)


def handle_auth(conn: Connection, packet: Auth) -> None:
    """No authentication method was agreed at CONNECT, so any AUTH is a protocol error."""
    raise ProtocolViolation(
        ReasonCode.PROTOCOL_ERROR, "AUTH without an authentication method", "MQTT-4.12.0-1"
    )
