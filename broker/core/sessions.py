"""Session state that outlives a network connection (MQTT 5.0 section 4.1).

A session holds the client's subscriptions, the QoS 1/2 messages sent but not yet acknowledged
(by packet id, in send order), messages queued while the client is offline or its receive
maximum is reached (bounded by count and bytes; drops are counted), the ids of QoS 2 messages
received but not yet released (exactly-once), and the will with its delay.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Protocol

from broker.core.messages import Delivery
from broker.core.subscriptions import Subscription

NEVER_EXPIRES = 0xFFFFFFFF


class Subscriber(Protocol):
    """What the core needs from a live connection (the protocol layer implements it)."""

    def deliver(self, delivery: Delivery) -> None:
        """Send (or queue in the session) one message for this client."""

    def take_over(self) -> None:
        """Another connection took this session over: close this one [MQTT-3.1.4-3]."""


@dataclass(frozen=True, slots=True)
class QueueLimits:
    max_messages: int = 1000
    max_bytes: int = 16 * 1024 * 1024


@dataclass(slots=True)
class Outgoing:
    """A QoS 1/2 message sent to the client and not yet acknowledged.

    ``released`` becomes True once PUBREC arrived and PUBREL was sent (QoS 2, awaiting PUBCOMP).
    """

    delivery: Delivery
    packet_id: int
    released: bool = False


@dataclass(eq=False, slots=True)
class Session:
    client_id: str
    protocol_version: int = 4
    expiry_interval: int = 0
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    inflight: dict[int, Outgoing] = field(default_factory=dict)
    queue: deque[Delivery] | tuple = ()  # a deque once something waits (an empty deque costs 600 bytes)
    queued_bytes: int = 0
    dropped_messages: int = 0
    incoming_qos2: set[int] = field(default_factory=set)
    will: Any = None
    will_due: float | None = None
    expires_at: float | None = None
    connection: Subscriber | None = None
    rules: Any = None  # ClientRules when an ACL applies; None: no per-topic checks
    _last_packet_id: int = 0

    @property
    def is_online(self) -> bool:
        return self.connection is not None

    def allocate_packet_id(self) -> int | None:
        """A packet id not in use by an unacknowledged outgoing message [MQTT-2.2.1-3]."""
        if len(self.inflight) >= 65535:
            return None
        candidate = self._last_packet_id
        for _ in range(65535):
            candidate = candidate % 65535 + 1
            if candidate not in self.inflight:
                self._last_packet_id = candidate
                return candidate
        return None

    def enqueue(self, delivery: Delivery, limits: QueueLimits) -> bool:
        """Queue a message for later; False (and counted as dropped) when the queue is full."""
        size = delivery.message.size
        if len(self.queue) >= limits.max_messages or self.queued_bytes + size > limits.max_bytes:
            self.dropped_messages += 1
            return False
        if not self.queue:
            self.queue = deque()
        self.queue.append(delivery)
        self.queued_bytes += size
        return True

    def dequeue(self) -> Delivery | None:
        if not self.queue:
            return None
        delivery = self.queue.popleft()
        self.queued_bytes -= delivery.message.size
        return delivery

    def clear_delivery_state(self) -> None:
        """Forget everything but the identity (a clean start or an expired session)."""
        self.subscriptions.clear()
        self.inflight.clear()
        self.queue = ()
        self.queued_bytes = 0
        self.incoming_qos2.clear()
