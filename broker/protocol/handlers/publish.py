"""PUBLISH from a client: topic aliases, checks, routing, and the QoS 1/2 answers (PUBACK, PUBREC)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from broker.codec import EMPTY_PROPERTIES, Properties, ProtocolVersion, PubAck, Publish, PubRec, ReasonCode
from broker.core.messages import Message, build_message
from broker.protocol.errors import ProtocolViolation
from broker.protocol.limit_checks import check_publish_topic
from broker.protocol.outgoing import PLAIN

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


def _forbid_subscription_identifier(properties: Properties) -> None:
    """Subscription Identifiers are the server's to send [MQTT-3.3.4-6]: from a client, 0x82."""
    if properties.subscription_identifiers:
        raise ProtocolViolation(
            ReasonCode.PROTOCOL_ERROR, "Subscription Identifier in a client PUBLISH", "MQTT-3.3.4-6"
        )


def _payload_is_valid(packet: Publish) -> bool:
    try:
        packet.payload.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def handle_publish(conn: Connection, packet: Publish) -> None:
    """Route a PUBLISH. The codec already refused wildcards, U+0000 and bad UTF-8 in the topic
    [MQTT-3.3.2-2], [MQTT-1.5.3-1/2], so the hot path only deals with MQTT 5 extras and QoS.
    """
    topic = packet.topic
    properties = packet.properties
    if properties is EMPTY_PROPERTIES:
        message = Message(topic, packet.payload, packet.qos, packet.retain, None, None, conn.client_id)
        if packet.raw is not None:  # plain QoS 0 from 3.1/3.1.1: its bytes are the shared encoding
            message.encodings[PLAIN] = packet.raw
        now = 0.0
    else:
        _forbid_subscription_identifier(properties)
        if properties.topic_alias is not None or not topic:
            topic = _resolve_topic(conn, packet)
        if properties.payload_format_indicator == 1 and not _payload_is_valid(packet):
            _refuse_payload(conn, packet)
            return
        now = conn.clock()
        message = build_message(
            topic, packet.payload, packet.qos, packet.retain, properties, conn.client_id, now
        )
    limits = conn.limits
    if len(topic) > limits.max_topic_length // 4 or topic.count("/") >= limits.max_topic_levels:
        check_publish_topic(limits, topic)  # only topics that might break a limit pay for the call
    qos = packet.qos
    if qos == 2 and _is_duplicate_qos2(conn, packet.packet_id):
        return
    rules = conn.session.rules
    if rules is not None and not rules.allows(topic, "write"):
        _refuse_unauthorized(conn, packet)
        return
    broker = conn.broker
    broker.stats.publish_received += 1
    receivers = broker.publish(message, now)
    if qos == 0:
        return
    is_v5 = conn.version == ProtocolVersion.V5
    reason = ReasonCode.SUCCESS if receivers or not is_v5 else ReasonCode.NO_MATCHING_SUBSCRIBERS
    if qos == 1:
        acknowledge(conn, packet.packet_id, reason)
        return
    conn.session.incoming_qos2.add(packet.packet_id)
    conn.send(PubRec(packet.packet_id, reason))


def acknowledge(conn: Connection, packet_id: int, reason: int) -> None:
    """PUBACK; a success is the same 4 bytes in every version [MQTT5 3.4.2.1], so no encoder call."""
    if reason == ReasonCode.SUCCESS and conn.client_maximum_packet_size >= 4:
        conn.write(b"\x40\x02" + packet_id.to_bytes(2, "big"))
        conn.broker.stats.messages_sent += 1
        return
    conn.send(PubAck(packet_id, reason))


def _is_duplicate_qos2(conn: Connection, packet_id: int) -> bool:
    """A resent QoS 2 PUBLISH is answered but not delivered again [MQTT-4.3.3-10]; too many is 0x93."""
    pending = conn.session.incoming_qos2
    if packet_id in pending:
        conn.send(PubRec(packet_id))
        return True
    if len(pending) >= conn.limits.receive_maximum:
        raise ProtocolViolation(
            ReasonCode.RECEIVE_MAXIMUM_EXCEEDED, "too many unacknowledged QoS 2 messages", "MQTT-3.3.4-7"
        )
    return False


def _refuse_unauthorized(conn: Connection, packet: Publish) -> None:
    """Not allowed to publish there: QoS 0 is dropped; QoS 1/2 get 0x87 (MQTT 5) or a plain ack
    (3.1.1 has no way to say no; like Mosquitto, the client is not made to retry forever)."""
    if packet.qos == 0:
        return
    is_v5 = conn.version == ProtocolVersion.V5
    reason = ReasonCode.NOT_AUTHORIZED if is_v5 else ReasonCode.SUCCESS
    if packet.qos == 1:
        conn.send(PubAck(packet.packet_id, reason))
        return
    if not is_v5:
        conn.session.incoming_qos2.add(packet.packet_id)  # PUBREL will find it and complete
    conn.send(PubRec(packet.packet_id, reason))


def _refuse_payload(conn: Connection, packet: Publish) -> None:
    """Payload Format Indicator 1 with a payload that is not UTF-8 [MQTT-3.3.2-4]: 0x99, not delivered."""
    reason = ReasonCode.PAYLOAD_FORMAT_INVALID
    if packet.qos == 0:
        raise ProtocolViolation(reason, "payload is not valid UTF-8", "MQTT-3.3.2-4")
    answer = PubAck if packet.qos == 1 else PubRec
    conn.send(answer(packet.packet_id, reason))
