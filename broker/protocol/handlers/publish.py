"""PUBLISH from a client: topic aliases, checks, routing, and the QoS 1/2 answers (PUBACK, PUBREC)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from broker.codec import ProtocolVersion, PubAck, Publish, PubRec, ReasonCode
from broker.core.messages import build_message
from broker.protocol.errors import ProtocolViolation
from broker.topics import TopicError, validate_topic_name

if TYPE_CHECKING:
    from broker.protocol.connection import Connection


def _resolve_topic(conn: Connection, packet: Publish) -> str:
    """The topic name, after applying (and learning) a topic alias [MQTT-3.3.2-7..12]."""
    alias = packet.properties.topic_alias
    if alias is None:
        if not packet.topic:
            raise ProtocolViolation(ReasonCode.PROTOCOL_ERROR, "empty topic without a topic alias")
        return packet.topic
    if alias > conn.limits.topic_alias_maximum:
        raise ProtocolViolation(ReasonCode.TOPIC_ALIAS_INVALID, "topic alias out of range", "MQTT-3.3.2-9")
    if packet.topic:
        conn.incoming_aliases[alias] = packet.topic
        return packet.topic
    topic = conn.incoming_aliases.get(alias)
    if topic is None:
        raise ProtocolViolation(ReasonCode.PROTOCOL_ERROR, "unknown topic alias", "MQTT-3.3.2-8")
    return topic


def _payload_is_valid(packet: Publish) -> bool:
    if packet.properties.payload_format_indicator != 1:
        return True
    try:
        packet.payload.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def handle_publish(conn: Connection, packet: Publish) -> None:
    is_v5 = conn.version == ProtocolVersion.V5
    topic = _resolve_topic(conn, packet) if is_v5 else packet.topic
    try:
        validate_topic_name(topic)
    except TopicError as error:
        raise ProtocolViolation(ReasonCode.TOPIC_NAME_INVALID, str(error), error.spec_id) from None
    qos = packet.qos
    if is_v5 and not _payload_is_valid(packet):
        _refuse_payload(conn, packet)
        return
    session = conn.session
    if qos == 2 and packet.packet_id in session.incoming_qos2:
        conn.send(PubRec(packet.packet_id))  # a resent QoS 2 PUBLISH is not delivered again [MQTT-4.3.3-10]
        return
    if qos == 2 and len(session.incoming_qos2) >= conn.limits.receive_maximum:
        raise ProtocolViolation(
            ReasonCode.RECEIVE_MAXIMUM_EXCEEDED, "too many unacknowledged QoS 2 messages", "MQTT-3.3.4-7"
        )
    now = conn.clock()
    message = build_message(topic, packet.payload, qos, packet.retain, packet.properties, conn.client_id, now)
    broker = conn.broker
    broker.stats.publish_received += 1
    receivers = broker.publish(message, now)
    if qos == 0:
        return
    reason = ReasonCode.SUCCESS if receivers or not is_v5 else ReasonCode.NO_MATCHING_SUBSCRIBERS
    if qos == 1:
        conn.send(PubAck(packet.packet_id, reason))
        return
    session.incoming_qos2.add(packet.packet_id)
    conn.send(PubRec(packet.packet_id, reason))


def _refuse_payload(conn: Connection, packet: Publish) -> None:
    """Payload Format Indicator 1 with a payload that is not UTF-8 [MQTT-3.3.2-4]: 0x99, not delivered."""
    reason = ReasonCode.PAYLOAD_FORMAT_INVALID
    if packet.qos == 0:
        raise ProtocolViolation(reason, "payload is not valid UTF-8", "MQTT-3.3.2-4")
    answer = PubAck if packet.qos == 1 else PubRec
    conn.send(answer(packet.packet_id, reason))
