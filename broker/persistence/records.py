"""What the store keeps, as plain dataclasses the engine loads at start (``RecoveredState``).

Times are wall-clock seconds (``time.time()``): a monotonic clock restarts with the machine, and
the engine converts to its own clock when it loads the state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from broker.topics import subscription_key


class Op(IntEnum):
    """Record opcodes. Numbers are part of the file format: never renumber, only add."""

    HEADER = 0
    SESSION_CREATED = 1
    SESSION_REMOVED = 2
    SESSION_DETACHED = 3
    SUBSCRIPTION_ADDED = 4
    SUBSCRIPTION_REMOVED = 5
    MESSAGE_STORED = 6
    MESSAGE_QUEUED = 7
    MESSAGE_SENT = 8
    MESSAGE_RELEASED = 9
    MESSAGE_ACKNOWLEDGED = 10
    INCOMING_RECEIVED = 11
    INCOMING_RELEASED = 12
    RETAINED_SET = 13
    RETAINED_CLEARED = 14
    WILL_SET = 15
    WILL_CLEARED = 16
    SNAPSHOT_END = 17
    MESSAGE_DROPPED = 18
    SESSION_RESUMED = 19
    TOPIC_DEFINED = 20


@dataclass(frozen=True, slots=True)
class StoredProperties:
    """The MQTT 5 properties a message keeps on its way to subscribers (none for 3.1.1)."""

    payload_format_indicator: int | None = None
    content_type: str | None = None
    response_topic: str | None = None
    correlation_data: bytes | None = None
    user_properties: tuple[tuple[str, str], ...] = ()

    def as_fields(self) -> list:
        return [
            self.payload_format_indicator,
            self.content_type,
            self.response_topic,
            self.correlation_data,
            [list(pair) for pair in self.user_properties],
        ]

    @classmethod
    def from_fields(cls, fields: list | None) -> StoredProperties | None:
        if fields is None:
            return None
        indicator, content_type, response_topic, correlation, pairs = fields
        return cls(indicator, content_type, response_topic, correlation, tuple(tuple(p) for p in pairs))


@dataclass(frozen=True, slots=True)
class StoredMessage:
    topic: str
    payload: bytes
    qos: int = 0
    retain: bool = False
    expires_at: float | None = None
    properties: StoredProperties | None = None


@dataclass(frozen=True, slots=True)
class StoredSubscription:
    topic_filter: str
    qos: int
    no_local: bool = False
    retain_as_published: bool = False
    retain_handling: int = 0
    identifier: int | None = None
    share_group: str | None = None

    @property
    def key(self) -> str:
        """The filter as the client sent it (``$share/group/filter`` for a shared one)."""
        return subscription_key(self.topic_filter, self.share_group)


@dataclass(slots=True)
class StoredDelivery:
    """A message owed to a client: queued (``packet_id`` None) or in flight with its packet id.

    ``released`` is True once PUBREC arrived and PUBREL went out (QoS 2 waiting for PUBCOMP).
    """

    sequence: int
    message: StoredMessage
    qos: int
    retain: bool = False
    subscription_ids: tuple[int, ...] = ()
    packet_id: int | None = None
    released: bool = False


@dataclass(frozen=True, slots=True)
class StoredWill:
    topic: str
    payload: bytes
    qos: int = 0
    retain: bool = False
    delay: int = 0
    properties: StoredProperties | None = None


@dataclass(slots=True)
class StoredSession:
    client_id: str
    protocol_version: int = 4
    expiry_interval: int = 0
    subscriptions: dict[str, StoredSubscription] = field(default_factory=dict)
    deliveries: list[StoredDelivery] = field(default_factory=list)  # in the order they were queued
    incoming_qos2: set[int] = field(default_factory=set)
    will: StoredWill | None = None
    detached_at: float | None = None  # wall clock when its connection ended; None while connected

    @property
    def inflight(self) -> list[StoredDelivery]:
        return [d for d in self.deliveries if d.packet_id is not None]

    @property
    def queued(self) -> list[StoredDelivery]:
        return [d for d in self.deliveries if d.packet_id is None]


@dataclass(slots=True)
class RecoveredState:
    """Everything the store recovered, plus what went wrong reading it (empty when all was well)."""

    sessions: dict[str, StoredSession] = field(default_factory=dict)
    retained: dict[str, StoredMessage] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
