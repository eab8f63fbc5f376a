"""PUBACK, PUBREC, PUBREL, PUBCOMP: the QoS 1/2 handshakes (MQTT 5.0 section 4.3)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from broker.codec import ProtocolVersion, PubAck, PubComp, PubRec, PubRel, ReasonCode
from broker.protocol import outgoing

if TYPE_CHECKING:
    from broker.protocol.connection import Connection


def handle_puback(conn: Connection, packet: PubAck) -> None:
    """QoS 1 delivery done: free the packet id and send what waited for room."""
    acknowledge_qos1(conn, packet.packet_id)


def acknowledge_qos1(conn: Connection, packet_id: int) -> None:
    """A PUBACK's work (also called with the bare packet id the decoder gives for a plain PUBACK).
    What waits in the queue moves up once the whole read is handled (``Connection.receive``): a
    client acknowledges in batches, so one drain fills the window for all of them."""
    session = conn.session
    inflight = session.inflight
    entry = inflight.get(packet_id)
    if entry is not None and entry.delivery.qos == 1:
        del inflight[packet_id]
        if session.queue:
            conn.drain_pending = True


def handle_pubrec(conn: Connection, packet: PubRec) -> None:
    """QoS 2 step two: answer PUBREL and wait for PUBCOMP; an error code ends the exchange."""
    inflight = conn.session.inflight
    entry = inflight.get(packet.packet_id)
    if entry is None or entry.delivery.qos != 2:
        if conn.version == ProtocolVersion.V5:
            conn.send(PubRel(packet.packet_id, ReasonCode.PACKET_IDENTIFIER_NOT_FOUND))
        else:
            conn.send(PubRel(packet.packet_id))
        return
    if packet.reason_code >= 0x80:
        del inflight[packet.packet_id]
        outgoing.drain_queue(conn)
        return
    entry.released = True
    conn.send(PubRel(packet.packet_id))


def handle_pubrel(conn: Connection, packet: PubRel) -> None:
    """Release a received QoS 2 message's packet id; the message was routed on PUBLISH [MQTT-4.3.3-10]."""
    pending = conn.session.incoming_qos2
    if packet.packet_id in pending:
        pending.discard(packet.packet_id)
        conn.send(PubComp(packet.packet_id))
    elif conn.version == ProtocolVersion.V5:
        conn.send(PubComp(packet.packet_id, ReasonCode.PACKET_IDENTIFIER_NOT_FOUND))
    else:
        conn.send(PubComp(packet.packet_id))


def handle_pubcomp(conn: Connection, packet: PubComp) -> None:
    inflight = conn.session.inflight
    entry = inflight.get(packet.packet_id)
    if entry is not None and entry.delivery.qos == 2:
        del inflight[packet.packet_id]
        outgoing.drain_queue(conn)
