"""Keeps the persistence store in step with the engine's persistent sessions and retained messages.

Instead of a hook at every state change in the hot path (outgoing, acks, handlers), the journal
keeps a *mirror* of what the store holds for each persistent session and records the difference
(``Store.session_created``, ``message_queued``, ``message_acknowledged`` ...). The server syncs a
connection's session before anything is written to that connection and syncs every other
persistent session before each group commit, so the store holds every change a client could hear
about before it hears about it. Retained messages are recorded as they are stored
(:class:`JournalledRetainedStore`). Sessions with expiry 0 and QoS 0 messages are never written.

The mirror compares objects by identity: a session replaced by clean start, a packet id reused by
another message, a subscription replaced by a new SUBSCRIBE are each one identity change.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from broker.core.broker import Broker
from broker.core.messages import Delivery, Message
from broker.core.retained import RetainedStore
from broker.core.sessions import Outgoing, Session
from broker.core.subscriptions import Subscription
from broker.persistence import Store
from broker.persistence.engine import stored_message, stored_subscription, stored_will


@dataclass(eq=False, slots=True)
class _Mirror:
    """What the store holds for one session (the objects it was recorded from)."""

    session: Session
    version: int
    expiry: int
    online: bool
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    inflight: dict[int, tuple[Outgoing, bool]] = field(default_factory=dict)
    queue: deque[Delivery] = field(default_factory=deque)
    incoming: set[int] = field(default_factory=set)
    will: Any = None

    def looks_unchanged(self, session: Session) -> bool:
        """A cheap check for sessions changed outside their own connection (offline queueing,
        detach, a delayed will): everything else is synced when the connection writes."""
        queue = session.queue
        if len(queue) != len(self.queue) or (queue and queue[-1] is not self.queue[-1]):
            return False
        return (
            (session.connection is not None) == self.online
            and len(session.inflight) == len(self.inflight)
            and session.will is self.will
        )


def is_persistent(session: Session) -> bool:
    """Sessions that outlive their connection are stored; expiry 0 ends with the connection."""
    return session.expiry_interval > 0


class Journal:
    """Records the engine's persistent state into a :class:`Store` by difference."""

    def __init__(
        self,
        store: Store,
        broker: Broker,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.broker = broker
        self.clock = clock
        self.wall_clock = wall_clock
        self._mirrors: dict[str, _Mirror] = {}

    def adopt_loaded(self) -> None:
        """After ``load_into``: every session in the engine is already in the store, offline."""
        for client_id, session in self.broker.sessions.items():
            mirror = _Mirror(session, session.protocol_version, session.expiry_interval, False)
            _copy_into(mirror, session)
            self._mirrors[client_id] = mirror

    def sync_session(self, session: Session) -> None:
        """Record whatever changed in one live session since it was last recorded."""
        client_id = session.client_id
        if self.broker.sessions.get(client_id) is not session:
            return  # ended or replaced: sync_changed records that
        mirror = self._mirrors.get(client_id)
        if mirror is not None and mirror.session is not session:
            self._forget(client_id)
            mirror = None
        if not is_persistent(session):
            if mirror is not None:
                self._forget(client_id)
            return
        if mirror is None:
            mirror = self._create(session)
        self._sync_identity(mirror, session)
        self._sync_subscriptions(mirror, session)
        self._sync_will(mirror, session)
        self._sync_incoming(mirror, session)
        self._sync_deliveries(mirror, session)

    def sync_changed(self) -> None:
        """Before a commit: ended sessions, and sessions changed without their connection writing."""
        sessions = self.broker.sessions
        for client_id, mirror in list(self._mirrors.items()):
            session = sessions.get(client_id)
            if session is None:
                self._forget(client_id)
            elif session is not mirror.session or not mirror.looks_unchanged(session):
                self.sync_session(session)

    # ---- one session --------------------------------------------------------------------------

    def _create(self, session: Session) -> _Mirror:
        self.store.session_created(session.client_id, session.protocol_version, session.expiry_interval)
        mirror = _Mirror(session, session.protocol_version, session.expiry_interval, True)
        self._mirrors[session.client_id] = mirror
        return mirror

    def _forget(self, client_id: str) -> None:
        self.store.session_removed(client_id)
        del self._mirrors[client_id]

    def _sync_identity(self, mirror: _Mirror, session: Session) -> None:
        online = session.connection is not None
        changed = (session.protocol_version, session.expiry_interval) != (mirror.version, mirror.expiry)
        if changed or (online and not mirror.online):
            self.store.session_resumed(session.client_id, session.protocol_version, session.expiry_interval)
            mirror.version, mirror.expiry = session.protocol_version, session.expiry_interval
        if mirror.online and not online:
            self.store.session_detached(session.client_id, self.wall_clock())
        mirror.online = online

    def _sync_subscriptions(self, mirror: _Mirror, session: Session) -> None:
        current, recorded = session.subscriptions, mirror.subscriptions
        if len(current) == len(recorded) and all(recorded.get(k) is s for k, s in current.items()):
            return
        for key in [key for key in recorded if key not in current]:
            self.store.subscription_removed(session.client_id, key)
        for key, subscription in current.items():
            if recorded.get(key) is not subscription:
                self.store.subscription_added(session.client_id, stored_subscription(subscription))
        mirror.subscriptions = dict(current)

    def _sync_will(self, mirror: _Mirror, session: Session) -> None:
        if session.will is mirror.will:
            return
        if session.will is None:
            self.store.will_cleared(session.client_id)
        else:
            self.store.will_set(session.client_id, stored_will(session.will))
        mirror.will = session.will

    def _sync_incoming(self, mirror: _Mirror, session: Session) -> None:
        current, recorded = session.incoming_qos2, mirror.incoming
        if current == recorded:
            return
        for packet_id in recorded - current:
            self.store.incoming_released(session.client_id, packet_id)
        for packet_id in current - recorded:
            self.store.incoming_received(session.client_id, packet_id)
        mirror.incoming = set(current)

    def _sync_deliveries(self, mirror: _Mirror, session: Session) -> None:
        """Acknowledged first (a packet id may be reused at once), then queue pops, new sends, releases
        and new queue entries; the store's unsent entries always equal ``mirror.queue`` in order."""
        client_id, store, recorded = session.client_id, self.store, mirror.inflight
        current = session.inflight
        for packet_id, (outgoing, _) in list(recorded.items()):
            if current.get(packet_id) is not outgoing:
                store.message_acknowledged(client_id, packet_id)
                del recorded[packet_id]
        popped, appended = _queue_change(mirror.queue, session.queue)
        if popped:
            self._record_pops(mirror, current, popped)
        for packet_id, outgoing in current.items():
            known = recorded.get(packet_id)
            if known is None:
                self._queued(client_id, outgoing.delivery, packet_id)
                known = (outgoing, False)
            if outgoing.released and not known[1]:
                store.message_released(client_id, packet_id)
            recorded[packet_id] = (outgoing, outgoing.released)
        for delivery in appended:
            self._queued(client_id, delivery, None)
            mirror.queue.append(delivery)

    def _record_pops(self, mirror: _Mirror, current: dict[int, Outgoing], popped: int) -> None:
        """Messages that left the front of the queue: sent with a packet id (a few bytes:
        MESSAGE_SENT, the message is already stored) or skipped as expired (MESSAGE_DROPPED)."""
        client_id = mirror.session.client_id
        new_sends = {id(o.delivery): o for pid, o in current.items() if pid not in mirror.inflight}
        for _ in range(popped):
            outgoing = new_sends.get(id(mirror.queue.popleft()))
            if outgoing is None:
                self.store.message_dropped(client_id)
            else:
                self.store.message_sent(client_id, None, outgoing.packet_id)
                mirror.inflight[outgoing.packet_id] = (outgoing, False)

    def _queued(self, client_id: str, delivery: Delivery, packet_id: int | None) -> None:
        message = stored_message(delivery.message, self.clock(), self.wall_clock())
        self.store.message_queued(
            client_id, message, delivery.qos, delivery.retain, delivery.subscription_ids, packet_id
        )


def _queue_change(recorded: deque[Delivery], current: Any) -> tuple[int, list[Delivery]]:
    """(how many left the front, what joined the back): a session queue only pops left and appends."""
    if not current:
        return len(recorded), []
    first = current[0]
    popped = next((i for i, d in enumerate(recorded) if d is first), len(recorded))
    kept = len(recorded) - popped
    return popped, [current[i] for i in range(kept, len(current))]


def _copy_into(mirror: _Mirror, session: Session) -> None:
    mirror.subscriptions = dict(session.subscriptions)
    mirror.inflight = {pid: (o, o.released) for pid, o in session.inflight.items()}
    mirror.queue = deque(session.queue)
    mirror.incoming = set(session.incoming_qos2)
    mirror.will = session.will


class JournalledRetainedStore(RetainedStore):
    """The retained store, recording each message kept or deleted (``journal_store`` None: not yet).

    ``$SYS`` topics are not recorded.
    """

    def __init__(self, max_messages: int, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(max_messages)
        self.journal_store: Store | None = None
        self.clock = clock

    def store(self, message: Message) -> bool:
        kept = super().store(message)
        if kept and message.payload and self.journal_store is not None and not _is_sys(message.topic):
            self.journal_store.retained_set(stored_message(message, self.clock(), time.time()))
        return kept

    def _delete(self, levels: list[str]) -> None:
        super()._delete(levels)
        if self.journal_store is not None and levels[0] != "$SYS":
            self.journal_store.retained_cleared("/".join(levels))


def _is_sys(topic: str) -> bool:
    """``$SYS`` is rebuilt by the running broker; storing it would only wear the card."""
    return topic.startswith("$SYS/")
