"""Messages on their way out of one connection: flow control, encoding, aliases and size limits.

A message fanned out to many clients is encoded once per distinct variant (protocol version,
QoS, RETAIN, subscription ids, topic alias) and cached on the message; only the packet id is
spliced in per client (``PublishTemplate``). Messages with an expiry are encoded per delivery
because the remaining time differs [MQTT-3.3.2-6].
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from broker.codec import EMPTY_PROPERTIES, Properties, ProtocolVersion
from broker.codec.publish import PublishTemplate, encode_plain_publish
from broker.core.messages import Delivery, Message
from broker.core.sessions import Outgoing

if TYPE_CHECKING:
    from broker.protocol.connection import Connection

V5 = ProtocolVersion.V5
PLAIN = 0  # Message.encodings key: QoS 0 bytes without RETAIN for 3.1/3.1.1 (bytes, not a template)


def _properties_for(message: Message, delivery: Delivery, alias: int | None, now: float) -> Properties:
    """The v5 properties of one outgoing PUBLISH; the shared message's own are never changed."""
    base = message.properties if message.properties is not None else EMPTY_PROPERTIES
    expiry = message.remaining_expiry(now)
    if not delivery.subscription_ids and alias is None and expiry is None:
        return base
    properties = base.copy()
    if delivery.subscription_ids:
        properties.subscription_identifiers = list(delivery.subscription_ids)
    if alias is not None:
        properties.topic_alias = alias
    if expiry is not None:
        properties.message_expiry_interval = expiry
    return properties


def _choose_alias(conn: Connection, topic: str) -> tuple[int | None, bool]:
    """(alias, send_topic): reuse the client's alias for this topic or assign a new one."""
    if conn.client_topic_alias_maximum == 0 or not conn.limits.outgoing_topic_aliases:
        return None, True
    alias = conn.outgoing_aliases.get(topic)
    if alias is not None:
        return alias, False
    if len(conn.outgoing_aliases) >= conn.client_topic_alias_maximum:
        return None, True
    alias = len(conn.outgoing_aliases) + 1
    conn.outgoing_aliases[topic] = alias
    return alias, True


def _template(conn: Connection, delivery: Delivery) -> PublishTemplate:
    message = delivery.message
    version = conn.version
    if version != ProtocolVersion.V5:
        key = (delivery.qos, delivery.retain)  # 3.1 and 3.1.1 PUBLISH bytes are identical
        template = message.encodings.get(key)
        if template is None:
            template = PublishTemplate(
                message.topic, message.payload, delivery.qos, delivery.retain, None, version
            )
            message.encodings[key] = template
        return template
    if (
        message.properties is None
        and message.expires_at is None
        and not delivery.subscription_ids
        and (conn.client_topic_alias_maximum == 0 or not conn.limits.outgoing_topic_aliases)
    ):
        return _bare_v5_template(message, delivery, version)
    alias, send_topic = _choose_alias(conn, message.topic)
    topic = message.topic if send_topic else ""
    key = (version, delivery.qos, delivery.retain, delivery.subscription_ids, alias, send_topic)
    template = None if message.expires_at is not None else message.encodings.get(key)
    if template is None:
        now = conn.clock() if message.expires_at is not None else 0.0
        properties = _properties_for(message, delivery, alias, now)
        template = PublishTemplate(topic, message.payload, delivery.qos, delivery.retain, properties, version)
        if message.expires_at is None:
            message.encodings[key] = template
    return template


def _bare_v5_template(message: Message, delivery: Delivery, version: ProtocolVersion) -> PublishTemplate:
    """MQTT 5 without properties, expiry, subscription ids or aliases: one template per (version,
    QoS, RETAIN), the cheap common case (no alias bookkeeping, no property copy)."""
    key = (version, delivery.qos, delivery.retain)
    template = message.encodings.get(key)
    if template is None:
        template = message.encodings[key] = PublishTemplate(
            message.topic, message.payload, delivery.qos, delivery.retain, EMPTY_PROPERTIES, version
        )
    return template


def send_publish(conn: Connection, delivery: Delivery, packet_id: int | None, dup: bool = False) -> bool:
    """Encode and queue one PUBLISH; False when it is larger than the client accepts [MQTT-3.1.2-25]."""
    if conn.version == ProtocolVersion.V5:
        template = _template(conn, delivery)
    else:  # inlined: the common 3.1.1 case
        key = (delivery.qos, delivery.retain)
        message = delivery.message
        template = message.encodings.get(key)
        if template is None:
            template = message.encodings[key] = PublishTemplate(
                message.topic, message.payload, delivery.qos, delivery.retain, None, conn.version
            )
    data = template.render(packet_id, dup)
    if len(data) > conn.client_maximum_packet_size:
        conn.broker.stats.publish_dropped += 1
        return False
    conn.write(data)
    conn.broker.stats.publish_sent += 1
    return True


def deliver(conn: Connection, delivery: Delivery) -> None:
    """Send a routed message now, or queue it in the session when the send window is full."""
    message = delivery.message
    if message.expires_at is not None and conn.clock() >= message.expires_at:
        return
    if delivery.qos == 0:
        if conn.is_congested:
            conn.broker.stats.publish_dropped += 1  # a slow reader loses QoS 0, never the broker
        elif conn.version != V5 and not delivery.retain:  # the common case, kept to a few lookups
            data = message.encodings.get(PLAIN)
            if data is None:
                data = message.encodings[PLAIN] = encode_plain_publish(message.topic, message.payload)
            if len(data) > conn.client_maximum_packet_size:
                conn.broker.stats.publish_dropped += 1
                return
            conn.write(data)
            conn.broker.stats.publish_sent += 1
        else:
            send_publish(conn, delivery, None)
        return
    session = conn.session
    if session is None:
        return
    if conn.is_congested or session.queue or len(session.inflight) >= conn.send_window:
        if not session.enqueue(delivery, conn.broker.queue_limits):
            conn.broker.stats.publish_dropped += 1
        return
    _send_new(conn, delivery)


def _send_new(conn: Connection, delivery: Delivery) -> None:
    session = conn.session
    packet_id = session.allocate_packet_id()
    if packet_id is None:
        session.enqueue(delivery, conn.broker.queue_limits)
        return
    session.inflight[packet_id] = Outgoing(delivery, packet_id)
    if not send_publish(conn, delivery, packet_id):
        del session.inflight[packet_id]


def drain_queue(conn: Connection) -> None:
    """Move queued messages into the send window while it has room (after an ack or on reconnect)."""
    session = conn.session
    if session is None:
        return
    now = conn.clock()
    while session.queue and len(session.inflight) < conn.send_window and not conn.is_closing:
        if conn.is_congested:
            return
        delivery = session.dequeue()
        if delivery.message.is_expired(now):
            continue
        if delivery.qos == 0:
            send_publish(conn, delivery, None)
        else:
            _send_new(conn, delivery)


def resend_inflight(conn: Connection) -> None:
    """On reconnect, resend unacknowledged PUBLISH with DUP and PUBREL for released ones [MQTT-4.4.0-1]."""
    session = conn.session
    for outgoing in list(session.inflight.values()):
        if outgoing.released:
            conn.send_pubrel(outgoing.packet_id)
        elif not send_publish(conn, outgoing.delivery, outgoing.packet_id, dup=True):
            del session.inflight[outgoing.packet_id]
