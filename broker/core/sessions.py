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
    """One client's session. ``subscriptions``, ``inflight`` and ``incoming_qos2`` are made on first
    use: most sessions of a sensor network are idle connections that never need some of them (an empty
    set costs 216 bytes, an empty dict 64), and an idle session is what thousands of clients cost."""

    client_id: str
    protocol_version: int = 4
    expiry_interval: int = 0
    queue: deque[Delivery] | tuple = ()  # a deque once something waits (an empty deque costs 600 bytes)
    queued_bytes: int = 0
    dropped_messages: int = 0
    will: Any = None
    will_due: float | None = None
    expires_at: float | None = None
    connection: Subscriber | None = None
    rules: Any = None  # ClientRules when an ACL applies; None: no per-topic checks
    _last_packet_id: int = 0
    _subscriptions: dict[str, Subscription] | None = field(default=None, init=False, repr=False)
    _inflight: dict[int, Outgoing] | None = field(default=None, init=False, repr=False)
    _incoming_qos2: set[int] | None = field(default=None, init=False, repr=False)

    @property
    def subscriptions(self) -> dict[str, Subscription]:
        """Topic filter key -> Subscription."""
        if self._subscriptions is None:
            self._subscriptions = {}
        return self._subscriptions

    @subscriptions.setter
    def subscriptions(self, value: dict[str, Subscription]) -> None:
        self._subscriptions = value

    @property
    def inflight(self) -> dict[int, Outgoing]:
        """Packet id -> QoS 1/2 message sent and not yet acknowledged, in send order."""
        if self._inflight is None:
            self._inflight = {}
        return self._inflight

    @inflight.setter
    def inflight(self, value: dict[int, Outgoing]) -> None:
        self._inflight = value

    @property
    def incoming_qos2(self) -> set[int]:
        """Packet ids of QoS 2 messages received and not yet released by PUBREL."""
        if self._incoming_qos2 is None:
            self._incoming_qos2 = set()
        return self._incoming_qos2

    @incoming_qos2.setter
    def incoming_qos2(self, value: set[int]) -> None:
        self._incoming_qos2 = value

    @property
    def is_online(self) -> bool:
        return self.connection is not None

    @property
    def has_subscriptions(self) -> bool:
        """Whether any route can name this session (without making its dict)."""
        return bool(self._subscriptions)

    @property
    def unacknowledged(self) -> int:
        """QoS 1/2 messages in flight, counted without making the dict of a session that has none."""
        return len(self._inflight) if self._inflight else 0

    @property
    def unfinished_messages(self) -> int:
        """Messages queued or in flight, counted without making the containers of an idle session."""
        return len(self.queue) + (len(self._inflight) if self._inflight else 0)

    def allocate_packet_id(self) -> int | None:
        """A packet id not in use by an unacknowledged outgoing message [MQTT-2.2.1-3]."""
        inflight = self.inflight
        if len(inflight) >= 65535:
            return None
        candidate = self._last_packet_id
        for _ in range(65535):
            candidate = candidate % 65535 + 1
            if candidate not in inflight:
                self._last_packet_id = candidate
                return candidate
        return None

    def send_slot(self, delivery: Delivery) -> int | None:
        """Record ``delivery`` as in flight under a free packet id and return the id; None when all
        65535 are in use. The id after the last one is nearly always free, so it is tried first."""
        inflight = self._inflight
        if inflight is None:
            inflight = self._inflight = {}
        packet_id = self._last_packet_id % 65535 + 1
        if packet_id in inflight:
            packet_id = self.allocate_packet_id()
            if packet_id is None:
                return None
        self._last_packet_id = packet_id
        inflight[packet_id] = Outgoing(delivery, packet_id)
        return packet_id

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
        for container in (self._subscriptions, self._inflight, self._incoming_qos2):
            if container:
                container.clear()  # in place: a caller may hold it
        self.queue = ()
        self.queued_bytes = 0
