"""Between the engine's objects (``broker/core``) and the store's plain records.

The engine runs on a monotonic clock; the store keeps wall-clock times (a monotonic clock restarts
with the machine). Every function takes both "now"s so nothing here reads a clock.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from broker.codec import Properties, Will
from broker.core.broker import Broker
from broker.core.messages import Delivery, Message
from broker.core.sessions import NEVER_EXPIRES, Outgoing, Session
from broker.core.subscriptions import Subscription
from broker.persistence.records import (
    RecoveredState,
    StoredMessage,
    StoredProperties,
    StoredSession,
    StoredSubscription,
    StoredWill,
)

_STORED_KEY = "stored"  # Message.encodings slot holding its StoredMessage (one per message)


def _stored_properties(properties: Any) -> StoredProperties | None:
    if properties is None:
        return None
    kept = StoredProperties(
        properties.payload_format_indicator,
        properties.content_type,
        properties.response_topic,
        properties.correlation_data,
        tuple(tuple(pair) for pair in properties.user_properties),
    )
    return None if kept == StoredProperties() else kept


def _engine_properties(stored: StoredProperties | None, **extra: Any) -> Properties | None:
    if stored is None and not extra:
        return None
    properties = Properties(**extra)
    if stored is not None:
        properties.payload_format_indicator = stored.payload_format_indicator
        properties.content_type = stored.content_type
        properties.response_topic = stored.response_topic
        properties.correlation_data = stored.correlation_data
        properties.user_properties = [tuple(pair) for pair in stored.user_properties]
    return properties


def stored_message(message: Message, now: float, wall_now: float) -> StoredMessage:
    """The record of an engine message, made once and cached on it, so a fan-out is written once."""
    stored = message.encodings.get(_STORED_KEY)
    if stored is None:
        expires = None if message.expires_at is None else message.expires_at - now + wall_now
        stored = StoredMessage(
            message.topic,
            message.payload,
            message.qos,
            message.retain,
            expires,
            _stored_properties(message.properties),
        )
        message.encodings[_STORED_KEY] = stored
    return stored


def stored_subscription(subscription: Subscription) -> StoredSubscription:
    s = subscription
    return StoredSubscription(
        s.topic_filter,
        s.qos,
        s.no_local,
        s.retain_as_published,
        s.retain_handling,
        s.identifier,
        s.share_group,
    )


def stored_will(will: Will) -> StoredWill:
    delay = getattr(will.properties, "will_delay_interval", None) or 0
    return StoredWill(
        will.topic, will.payload, will.qos, will.retain, delay, _stored_properties(will.properties)
    )


def _engine_message(
    stored: StoredMessage, now: float, wall_now: float, retain: bool | None = None
) -> Message:
    expires = None if stored.expires_at is None else stored.expires_at - wall_now + now
    keep_retain = stored.retain if retain is None else retain
    message = Message(
        stored.topic, stored.payload, stored.qos, keep_retain, _engine_properties(stored.properties), expires
    )
    message.encodings[_STORED_KEY] = stored
    return message


def load_into(broker: Broker, state: RecoveredState, now: float, wall_now: float) -> list[str]:
    """Put recovered retained messages and sessions into a fresh engine; returns ids of expired sessions.

    Every recovered session is offline; its expiry counts from when its connection ended (or from
    now, if the broker died while it was connected). Sessions already past their expiry are not
    loaded: the caller removes them from the store with ``session_removed``.
    """
    messages: dict[int, Message] = {}

    def engine_message(stored: StoredMessage) -> Message:
        if id(stored) not in messages:
            messages[id(stored)] = _engine_message(stored, now, wall_now)
        return messages[id(stored)]

    for stored in state.retained.values():
        if stored.expires_at is None or stored.expires_at > wall_now:
            broker.retained.store(_engine_message(stored, now, wall_now, retain=True))
    expired = []
    for stored_session in state.sessions.values():
        session = _load_session(broker, stored_session, now, wall_now, engine_message)
        if session is None:
            expired.append(stored_session.client_id)
    return expired


def _load_session(
    broker: Broker, stored: StoredSession, now: float, wall_now: float, engine_message: Any
) -> Session | None:
    offline_for = 0.0 if stored.detached_at is None else max(0.0, wall_now - stored.detached_at)
    if stored.expiry_interval != NEVER_EXPIRES and offline_for >= stored.expiry_interval:
        return None
    session = Session(stored.client_id, stored.protocol_version, stored.expiry_interval)
    for key, s in stored.subscriptions.items():
        subscription = Subscription(
            stored.client_id,
            s.topic_filter,
            s.qos,
            s.no_local,
            s.retain_as_published,
            s.retain_handling,
            s.identifier,
            s.share_group,
        )
        broker.subscriptions.add(subscription)
        session.subscriptions[key] = subscription
    _load_deliveries(session, stored, engine_message)
    session.incoming_qos2 = set(stored.incoming_qos2)
    if stored.expiry_interval != NEVER_EXPIRES:
        session.expires_at = now + stored.expiry_interval - offline_for
    if stored.will is not None:
        w = stored.will
        properties = _engine_properties(w.properties, will_delay_interval=w.delay or None) or Properties()
        session.will = Will(w.topic, w.payload, w.qos, w.retain, properties)
        session.will_due = now + max(0.0, w.delay - offline_for)
    broker.sessions[stored.client_id] = session
    if session.expires_at is not None or session.will_due is not None:
        broker._waiting[stored.client_id] = session  # the engine's list of offline sessions to tick
    return session


def _load_deliveries(session: Session, stored: StoredSession, engine_message: Any) -> None:
    """In-flight messages by packet id, the rest queued in their order."""
    queued: deque[Delivery] = deque()
    for d in stored.deliveries:
        delivery = Delivery(engine_message(d.message), d.qos, d.retain, d.subscription_ids)
        if d.packet_id is None:
            queued.append(delivery)
            session.queued_bytes += delivery.message.size
        else:
            session.inflight[d.packet_id] = Outgoing(delivery, d.packet_id, d.released)
    if queued:
        session.queue = queued
