"""Messages on their way out of one connection: flow control, encoding, aliases and size limits.

A message fanned out to many clients is encoded once per distinct variant (protocol version,
QoS, RETAIN, subscription ids, topic alias) and cached on the message; only the packet id is
spliced in per client (``PublishTemplate``). Messages with an expiry are encoded per delivery
because the remaining time differs [MQTT-3.3.2-6].
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from broker.codec import EMPTY_PROPERTIES, Properties, ProtocolVersion
from broker.codec.primitives import encode_varint
from broker.codec.publish import PublishTemplate, encode_plain_publish
from broker.core.messages import Delivery, Message
from broker.core.retained import RetainedDeliveries

if TYPE_CHECKING:
    from broker.protocol.connection import Connection

V5 = ProtocolVersion.V5
PLAIN = 0  # Message.encodings key: QoS 0 bytes without RETAIN for 3.1/3.1.1 (bytes, not a template)
RETAINED_PLAIN = 1  # QoS 0 bytes with RETAIN for 3.1/3.1.1: a retained message to a new subscriber
RETAINED_BARE_V5 = 2  # the same for MQTT 5 without properties (property length 0)


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


def deliver_retained(conn: Connection, retained: RetainedDeliveries) -> None:
    """Send the retained messages for one new subscription, in order, after its SUBACK.

    Runs of plain messages (going out at QoS 0, no v5 properties, expiry, subscription ids or topic
    aliases) are written as cached bytes in one join; any other message takes the per-delivery path
    (QoS 1/2 through the send window and session queue [MQTT-3.3.4-9]). The store lookup already
    left out expired messages [MQTT-3.3.2-5].
    """
    messages, granted, ids = retained.messages, retained.granted_qos, retained.subscription_ids
    key = _retained_bytes_key(conn, ids)
    if key is None or conn.is_congested:  # congested: deliver() drops QoS 0 and queues the rest
        for message in messages:
            deliver(conn, Delivery(message, min(message.qos, granted), True, ids))
        return
    if not granted and key == RETAINED_PLAIN:  # the common case: every message is plain
        _write_retained(conn, messages, key)
        return
    run: list[Message] = []
    for message in messages:
        if (message.qos and granted) or (key == RETAINED_BARE_V5 and not _is_bare(message)):
            if run:  # keep the store's order: the plain run so far goes first
                _write_retained(conn, run, key)
                run = []
            deliver(conn, Delivery(message, min(message.qos, granted), True, ids))
        else:
            run.append(message)
    _write_retained(conn, run, key)


def _retained_bytes_key(conn: Connection, ids: tuple[int, ...]) -> int | None:
    """The encodings key of this client's plain QoS 0 retained bytes, None when it needs its own."""
    if conn.version != V5:
        return RETAINED_PLAIN
    if ids or (conn.client_topic_alias_maximum and conn.limits.outgoing_topic_aliases):
        return None
    return RETAINED_BARE_V5


def _is_bare(message: Message) -> bool:
    return message.properties is None and message.expires_at is None


def _write_retained(conn: Connection, messages: list[Message], key: int) -> None:
    """Write plain retained messages as QoS 0 PUBLISH with RETAIN [MQTT-3.3.1-8], in one write.

    Each encoding is cached on the message for the next subscriber. Not through the codec's topic
    cache: a '#' subscriber taking thousands of retained topics would evict the live topics it is for.
    """
    if not messages:
        return
    properties = b"\x00" if key == RETAINED_BARE_V5 else b""  # MQTT 5: property length 0
    limit = conn.client_maximum_packet_size
    batch: list[bytes] = []
    for message in messages:
        encodings = message.encodings
        data = encodings.get(key)
        if data is None:
            topic, payload = message.topic.encode(), message.payload
            remaining = encode_varint(2 + len(topic) + len(properties) + len(payload))
            data = b"".join((b"\x31", remaining, len(topic).to_bytes(2, "big"), topic, properties, payload))
            encodings[key] = data
        if len(data) <= limit:  # else dropped [MQTT-3.1.2-25]
            batch.append(data)
    if batch:
        conn.write(b"".join(batch))
    stats = conn.broker.stats
    stats.publish_sent += len(batch)
    stats.publish_dropped += len(messages) - len(batch)


def _send_new(conn: Connection, delivery: Delivery) -> bool:
    """Send with a fresh packet id; False when no slot was taken (queued again, or too large)."""
    session = conn.session
    packet_id = session.send_slot(delivery)
    if packet_id is None:
        session.enqueue(delivery, conn.broker.queue_limits)
        return False
    if not send_publish(conn, delivery, packet_id):
        del session.inflight[packet_id]
        return False
    return True


def drain_queue(conn: Connection) -> None:
    """Move queued messages into the send window while it has room (after acks or on reconnect)."""
    session = conn.session
    if session is None or not session.queue:
        return  # the common case after an acknowledgement: nothing waits
    now = conn.clock()
    room = conn.send_window - session.unacknowledged
    while room > 0 and session.queue and not conn.is_closing and not conn.is_congested:
        delivery = session.dequeue()
        if delivery.message.is_expired(now):
            continue  # expired while it waited [MQTT-3.3.2-5]
        if delivery.qos == 0:
            send_publish(conn, delivery, None)
        elif _send_new(conn, delivery):
            room -= 1


def resend_inflight(conn: Connection) -> None:
    """On reconnect, resend unacknowledged PUBLISH with DUP and PUBREL for released ones [MQTT-4.4.0-1]."""
    session = conn.session
    for outgoing in list(session.inflight.values()):
        if outgoing.released:
            conn.send_pubrel(outgoing.packet_id)
        elif not send_publish(conn, outgoing.delivery, outgoing.packet_id, dup=True):
            del session.inflight[outgoing.packet_id]
