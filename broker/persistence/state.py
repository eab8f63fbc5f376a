"""The store's own model of the durable state, rebuilt by replaying records.

Records name sessions by a small number (given when the session is created) and messages by an
id (a message fanned out to several sessions and the retained store is written once), so a
record stays a few bytes. Replay is forgiving: a record naming an unknown session, message or
packet id is ignored, as the engine may legitimately ack something the store never saw.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from broker.persistence.records import (
    Op,
    RecoveredState,
    StoredDelivery,
    StoredMessage,
    StoredProperties,
    StoredSession,
    StoredSubscription,
    StoredWill,
)


@dataclass(slots=True)
class _Entry:
    message_id: int
    qos: int
    retain: bool
    subscription_ids: tuple[int, ...]
    packet_id: int | None = None
    released: bool = False


@dataclass(slots=True)
class _Session:
    number: int
    client_id: str
    protocol_version: int
    expiry_interval: int
    subscriptions: dict[str, StoredSubscription] = field(default_factory=dict)
    entries: dict[int, _Entry] = field(default_factory=dict)  # by sequence, in queue order
    by_packet_id: dict[int, int] = field(default_factory=dict)  # packet id -> sequence
    incoming_qos2: set[int] = field(default_factory=set)
    will: StoredWill | None = None
    detached_at: float | None = None
    next_sequence: int = 1


def message_fields(message: StoredMessage, topic: str | int | None = None) -> list:
    """A message's fields; ``topic`` may be the id of a topic defined earlier in the journal."""
    props = None if message.properties is None else message.properties.as_fields()
    return [
        message.topic if topic is None else topic,
        message.payload,
        message.qos,
        message.retain,
        message.expires_at,
        props,
    ]


def will_fields(will: StoredWill) -> list:
    props = None if will.properties is None else will.properties.as_fields()
    return [will.topic, will.payload, will.qos, will.retain, will.delay, props]


class LiveState:
    """Sessions, messages and retained topics as the records describe them."""

    def __init__(self) -> None:
        self.sessions: dict[int, _Session] = {}
        self.session_numbers: dict[str, int] = {}
        self.messages: dict[int, StoredMessage] = {}
        self.references: dict[int, int] = {}
        self.retained: dict[str, int] = {}
        self.topics: dict[int, str] = {}  # journal-local topic ids (a sensor repeats its topic)
        self.topic_ids: dict[str, int] = {}
        self.next_session_number = 1
        self.next_message_id = 1
        self._handlers: dict[int, Callable[..., None]] = {
            Op.SESSION_CREATED: self._session_created,
            Op.SESSION_RESUMED: self._session_resumed,
            Op.SESSION_REMOVED: self._session_removed,
            Op.SESSION_DETACHED: self._session_detached,
            Op.SUBSCRIPTION_ADDED: self._subscription_added,
            Op.SUBSCRIPTION_REMOVED: self._subscription_removed,
            Op.TOPIC_DEFINED: self._topic_defined,
            Op.MESSAGE_STORED: self._message_stored,
            Op.MESSAGE_QUEUED: self._message_queued,
            Op.MESSAGE_SENT: self._message_sent,
            Op.MESSAGE_RELEASED: self._message_released,
            Op.MESSAGE_ACKNOWLEDGED: self._message_acknowledged,
            Op.MESSAGE_DROPPED: self._message_dropped,
            Op.INCOMING_RECEIVED: self._incoming_received,
            Op.INCOMING_RELEASED: self._incoming_released,
            Op.RETAINED_SET: self._retained_set,
            Op.RETAINED_CLEARED: self._retained_cleared,
            Op.WILL_SET: self._will_set,
            Op.WILL_CLEARED: self._will_cleared,
        }

    def apply(self, record: list) -> None:
        """Apply one decoded record; raises (TypeError, ValueError, KeyError) on a malformed one."""
        handler = self._handlers.get(record[0])
        if handler is not None:  # HEADER, SNAPSHOT_END and unknown future opcodes change nothing
            handler(*record[1:])

    # ---- references -----------------------------------------------------------------------

    def _hold(self, message_id: int) -> bool:
        if message_id not in self.messages:
            return False
        self.references[message_id] += 1
        return True

    def _release(self, message_id: int) -> None:
        count = self.references.get(message_id, 0) - 1
        if count > 0:
            self.references[message_id] = count
        else:
            self.references.pop(message_id, None)
            self.messages.pop(message_id, None)

    def _drop_entry(self, session: _Session, sequence: int) -> None:
        entry = session.entries.pop(sequence, None)
        if entry is None:
            return
        if entry.packet_id is not None and session.by_packet_id.get(entry.packet_id) == sequence:
            del session.by_packet_id[entry.packet_id]
        self._release(entry.message_id)

    # ---- sessions -------------------------------------------------------------------------

    def _session_created(self, number: int, client_id: str, version: int, expiry: int) -> None:
        old = self.session_numbers.get(client_id)
        if old is not None:
            self._session_removed(old)
        self.sessions[number] = _Session(number, client_id, version, expiry)
        self.session_numbers[client_id] = number
        self.next_session_number = max(self.next_session_number, number + 1)

    def _session_resumed(self, number: int, version: int, expiry: int) -> None:
        session = self.sessions.get(number)
        if session is not None:
            session.protocol_version, session.expiry_interval, session.detached_at = version, expiry, None

    def _session_removed(self, number: int) -> None:
        session = self.sessions.pop(number, None)
        if session is None:
            return
        for sequence in list(session.entries):
            self._drop_entry(session, sequence)
        if self.session_numbers.get(session.client_id) == number:
            del self.session_numbers[session.client_id]

    def _session_detached(self, number: int, at: float | None) -> None:
        session = self.sessions.get(number)
        if session is not None:
            session.detached_at = at

    def _subscription_added(self, number: int, *fields: object) -> None:
        session = self.sessions.get(number)
        if session is not None:
            subscription = StoredSubscription(*fields)  # type: ignore[arg-type]
            session.subscriptions[subscription.key] = subscription

    def _subscription_removed(self, number: int, key: str) -> None:
        session = self.sessions.get(number)
        if session is not None:
            session.subscriptions.pop(key, None)

    # ---- messages -------------------------------------------------------------------------

    def _topic_defined(self, topic_id: int, topic: str) -> None:
        self.topics[topic_id] = topic
        self.topic_ids[topic] = topic_id

    def forget_topics(self) -> None:
        """Topic ids live for one journal: a new journal (after compaction) defines its own."""
        self.topics.clear()
        self.topic_ids.clear()

    def _message_stored(
        self,
        message_id: int,
        topic: str,
        payload: bytes,
        qos: int,
        retain: bool,
        expires_at: float | None,
        props: list | None,
    ) -> None:
        properties = StoredProperties.from_fields(props)
        if not isinstance(topic, str):
            topic = self.topics[topic]
        self.messages[message_id] = StoredMessage(topic, payload, qos, retain, expires_at, properties)
        self.references.setdefault(message_id, 0)
        self.next_message_id = max(self.next_message_id, message_id + 1)

    def _message_queued(
        self,
        number: int,
        sequence: int,
        message_id: int,
        qos: int,
        retain: bool,
        subscription_ids: list,
        packet_id: int | None,
    ) -> None:
        session = self.sessions.get(number)
        if session is None or not self._hold(message_id):
            return
        self._drop_entry(session, sequence)
        session.entries[sequence] = _Entry(message_id, qos, retain, tuple(subscription_ids))
        session.next_sequence = max(session.next_sequence, sequence + 1)
        if packet_id is not None:
            self._message_sent(number, sequence, packet_id)

    def _message_sent(self, number: int, sequence: int, packet_id: int) -> None:
        session = self.sessions.get(number)
        entry = None if session is None else session.entries.get(sequence)
        if entry is None:
            return
        previous = session.by_packet_id.get(packet_id)
        if previous is not None and previous != sequence:
            self._drop_entry(session, previous)  # the id was reused: the old flight is over
        entry.packet_id, entry.released = packet_id, False
        session.by_packet_id[packet_id] = sequence

    def _message_released(self, number: int, packet_id: int) -> None:
        session = self.sessions.get(number)
        if session is not None and packet_id in session.by_packet_id:
            session.entries[session.by_packet_id[packet_id]].released = True

    def _message_acknowledged(self, number: int, packet_id: int) -> None:
        session = self.sessions.get(number)
        if session is not None and packet_id in session.by_packet_id:
            self._drop_entry(session, session.by_packet_id[packet_id])

    def _message_dropped(self, number: int, sequence: int) -> None:
        session = self.sessions.get(number)
        if session is not None:
            self._drop_entry(session, sequence)

    def _incoming_received(self, number: int, packet_id: int) -> None:
        session = self.sessions.get(number)
        if session is not None:
            session.incoming_qos2.add(packet_id)

    def _incoming_released(self, number: int, packet_id: int) -> None:
        session = self.sessions.get(number)
        if session is not None:
            session.incoming_qos2.discard(packet_id)

    def _retained_set(self, message_id: int) -> None:
        message = self.messages.get(message_id)
        if message is None:
            return
        self._retained_cleared(message.topic)
        self._hold(message_id)
        self.retained[message.topic] = message_id

    def _retained_cleared(self, topic: str) -> None:
        old = self.retained.pop(topic, None)
        if old is not None:
            self._release(old)

    def _will_set(
        self, number: int, topic: str, payload: bytes, qos: int, retain: bool, delay: int, props: list | None
    ) -> None:
        session = self.sessions.get(number)
        if session is not None:
            properties = StoredProperties.from_fields(props)
            session.will = StoredWill(topic, payload, qos, retain, delay, properties)

    def _will_cleared(self, number: int) -> None:
        session = self.sessions.get(number)
        if session is not None:
            session.will = None

    def prune(self) -> None:
        """Forget messages nothing refers to (stored for a client that had no session)."""
        for message_id in [m for m in self.messages if not self.references.get(m)]:
            self._release(message_id)

    # ---- output ---------------------------------------------------------------------------

    def snapshot_records(self) -> Iterator[list]:
        """Records that rebuild exactly this state from nothing (referenced messages only)."""
        for message_id, message in self.messages.items():
            if self.references.get(message_id):
                yield [Op.MESSAGE_STORED, message_id, *message_fields(message)]
        for message_id in self.retained.values():
            yield [Op.RETAINED_SET, message_id]
        for session in self.sessions.values():
            yield from self._session_records(session)

    def _session_records(self, session: _Session) -> Iterator[list]:
        number = session.number
        yield [
            Op.SESSION_CREATED,
            number,
            session.client_id,
            session.protocol_version,
            session.expiry_interval,
        ]
        if session.detached_at is not None:
            yield [Op.SESSION_DETACHED, number, session.detached_at]
        for s in session.subscriptions.values():
            yield [
                Op.SUBSCRIPTION_ADDED,
                number,
                s.topic_filter,
                s.qos,
                s.no_local,
                s.retain_as_published,
                s.retain_handling,
                s.identifier,
                s.share_group,
            ]
        for sequence, e in session.entries.items():
            ids = list(e.subscription_ids)
            yield [Op.MESSAGE_QUEUED, number, sequence, e.message_id, e.qos, e.retain, ids, e.packet_id]
            if e.released:
                yield [Op.MESSAGE_RELEASED, number, e.packet_id]
        for packet_id in sorted(session.incoming_qos2):
            yield [Op.INCOMING_RECEIVED, number, packet_id]
        if session.will is not None:
            yield [Op.WILL_SET, number, *will_fields(session.will)]

    def recovered(self) -> RecoveredState:
        state = RecoveredState()
        for topic, message_id in self.retained.items():
            state.retained[topic] = self.messages[message_id]
        for session in self.sessions.values():
            stored = StoredSession(
                session.client_id,
                session.protocol_version,
                session.expiry_interval,
                dict(session.subscriptions),
                [self._delivery(sequence, entry) for sequence, entry in session.entries.items()],
                set(session.incoming_qos2),
                session.will,
                session.detached_at,
            )
            state.sessions[session.client_id] = stored
        return state

    def _delivery(self, sequence: int, entry: _Entry) -> StoredDelivery:
        message = self.messages[entry.message_id]
        return StoredDelivery(
            sequence,
            message,
            entry.qos,
            entry.retain,
            entry.subscription_ids,
            entry.packet_id,
            entry.released,
        )
