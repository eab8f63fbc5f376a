"""Application messages as the broker routes them, and one message's delivery to one client."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from broker.codec import EMPTY_PROPERTIES, Properties


@dataclass(slots=True, eq=False)
class Message:
    """One published application message, decoded once and shared by every delivery.

    ``properties`` holds only what is forwarded to subscribers (payload format, content type,
    response topic, correlation data, user properties); the expiry is kept as an absolute
    ``expires_at`` so the remaining time can be counted down while the message waits.
    ``encodings`` caches encoded packet templates per variant so a message fanned out to many
    subscribers is encoded once per distinct (version, QoS, retain, identifiers) variant.
    """

    topic: str
    payload: bytes
    qos: int = 0
    retain: bool = False
    properties: Any = None
    expires_at: float | None = None
    sender_id: str = ""
    encodings: dict = field(default_factory=dict)

    def is_expired(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def remaining_expiry(self, now: float) -> int | None:
        """Whole seconds left, for the Message Expiry Interval sent onward [MQTT-3.3.2-6]."""
        if self.expires_at is None:
            return None
        return max(0, int(self.expires_at - now + 0.999))

    @property
    def size(self) -> int:
        """Bytes this message costs in a queue (its payload and topic)."""
        return len(self.payload) + len(self.topic)


@dataclass(slots=True)
class Delivery:
    """A message on its way to one client: the QoS, RETAIN flag and subscription ids it goes with."""

    message: Message
    qos: int
    retain: bool = False
    subscription_ids: tuple[int, ...] = ()


_FORWARDED = ("payload_format_indicator", "content_type", "response_topic", "correlation_data")


def forwarded_properties(properties: Properties) -> Properties | None:
    """The properties a subscriber receives unchanged [MQTT-3.3.2-4, -15..20], user properties in order."""
    if properties is EMPTY_PROPERTIES or properties.is_empty():
        return None
    kept = Properties(user_properties=list(properties.user_properties))
    for name in _FORWARDED:
        setattr(kept, name, getattr(properties, name))
    return None if kept.is_empty() else kept


def build_message(
    topic: str, payload: bytes, qos: int, retain: bool, properties: Properties, sender: str, now: float
) -> Message:
    expiry = properties.message_expiry_interval
    return Message(
        topic,
        payload,
        qos,
        retain,
        forwarded_properties(properties),
        None if expiry is None else now + expiry,
        sender,
    )


def will_message(will: Any, client_id: str, now: float) -> Message:
    """The message a will becomes when it is published [MQTT-3.1.2-8]."""
    return build_message(will.topic, will.payload, will.qos, will.retain, will.properties, client_id, now)
