"""The journal records engine changes by difference: what it wrote, reopened into a fresh engine,
equals the engine's persistent state (in process, no sockets: fast and exact)."""

from __future__ import annotations

from pathlib import Path

from broker.codec import Will
from broker.core.broker import Broker
from broker.core.journal import Journal, JournalledRetainedStore
from broker.core.messages import Delivery, Message
from broker.core.sessions import Outgoing
from broker.core.subscriptions import Subscription
from broker.persistence import Store
from broker.persistence.engine import load_into

NOW = 100.0


class FakeConnection:
    """The Subscriber protocol at its lowest: deliveries are kept, nothing is sent."""

    def __init__(self) -> None:
        self.delivered: list[Delivery] = []

    def deliver(self, delivery: Delivery) -> None:
        self.delivered.append(delivery)

    def take_over(self) -> None:
        pass


def _engine(folder: Path) -> tuple[Broker, Journal, Store]:
    store, state = Store.open(folder)
    broker = Broker()
    broker.retained = JournalledRetainedStore(broker.retained.max_messages, lambda: NOW)
    load_into(broker, state, NOW, 1_000_000.0)
    broker.retained.journal_store = store
    journal = Journal(store, broker, lambda: NOW, lambda: 1_000_000.0)
    journal.adopt_loaded()
    return broker, journal, store


def _reopen(store: Store, folder: Path) -> Broker:
    store.commit()
    store.close()
    broker, _, again = _engine(folder)
    again.close()
    return broker


def _connect(broker: Broker, client_id: str, expiry: int, clean: bool = False):
    session, _ = broker.open_session(client_id, clean, FakeConnection(), NOW)
    session.expiry_interval = expiry
    return session


def _message(topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> Message:
    return Message(topic, payload, qos, retain)


def test_queue_inflight_released_and_incoming_survive_a_reopen(tmp_path: Path) -> None:
    broker, journal, store = _engine(tmp_path)
    session = _connect(broker, "phone", 3600)
    broker.subscribe(session, Subscription("phone", "farm/#", 2), NOW)
    journal.sync_session(session)
    for index in range(5):
        session.enqueue(Delivery(_message("farm/t", f"m{index}".encode(), 2), 2), broker.queue_limits)
    journal.sync_session(session)
    first, second = (
        session.dequeue(),
        session.dequeue(),
    )  # m0 goes out as packet id 7, m1 is skipped (expired)
    session.inflight[7] = Outgoing(first, 7)
    session.inflight[8] = Outgoing(Delivery(_message("farm/x", b"direct", 1), 1), 8)
    session.inflight[9] = Outgoing(Delivery(_message("farm/y", b"acked", 1), 1), 9)
    session.incoming_qos2.update({3, 4})
    journal.sync_session(session)
    session.inflight[7].released = True  # PUBREC came, PUBREL went out
    del session.inflight[9]  # PUBACK
    session.incoming_qos2.discard(3)  # PUBREL from the client
    journal.sync_session(session)
    assert second is not None

    loaded = _reopen(store, tmp_path).sessions["phone"]
    assert sorted(loaded.inflight) == [7, 8]
    assert loaded.inflight[7].released and loaded.inflight[7].delivery.message.payload == b"m0"
    assert loaded.inflight[8].delivery.message.payload == b"direct"
    assert [d.message.payload for d in loaded.queue] == [b"m2", b"m3", b"m4"]
    assert loaded.incoming_qos2 == {4}
    assert list(loaded.subscriptions) == ["farm/#"] and loaded.subscriptions["farm/#"].qos == 2


def test_clean_start_unsubscribe_will_and_expiry_zero(tmp_path: Path) -> None:
    broker, journal, store = _engine(tmp_path)
    old = _connect(broker, "a", 60)
    broker.subscribe(old, Subscription("a", "old/#", 1), NOW)
    old.will = Will("a/status", b"gone", 1, True)
    journal.sync_session(old)
    fresh = _connect(broker, "a", 60, clean=True)  # ends the old session and its will
    broker.subscribe(fresh, Subscription("a", "new/+", 0), NOW)
    broker.subscribe(fresh, Subscription("a", "drop/me", 0), NOW)
    journal.sync_session(fresh)
    broker.unsubscribe(fresh, "drop/me")
    transient = _connect(broker, "b", 0)
    broker.subscribe(transient, Subscription("b", "x", 1), NOW)
    journal.sync_session(transient)
    journal.sync_session(fresh)

    loaded = _reopen(store, tmp_path)
    assert set(loaded.sessions) == {"a"}, "expiry 0 sessions are never stored"
    assert list(loaded.sessions["a"].subscriptions) == ["new/+"]
    assert loaded.sessions["a"].will is None


def test_detached_sessions_and_offline_queueing_are_found_by_sync_changed(tmp_path: Path) -> None:
    broker, journal, store = _engine(tmp_path)
    session = _connect(broker, "phone", 600)
    broker.subscribe(session, Subscription("phone", "farm/#", 1), NOW)
    journal.sync_session(session)
    broker.detach(session, session.connection, publish_will=False, now=NOW)
    broker.publish(_message("farm/t", b"while-away", 1), NOW)  # queued in the offline session
    journal.sync_changed()

    loaded = _reopen(store, tmp_path)
    assert [d.message.payload for d in loaded.sessions["phone"].queue] == [b"while-away"]
    assert loaded.sessions["phone"].connection is None


def test_retained_messages_are_recorded_but_not_sys(tmp_path: Path) -> None:
    broker, _, store = _engine(tmp_path)
    broker.publish(_message("farm/a", b"1", 0, retain=True), NOW)
    broker.publish(_message("farm/b", b"2", 0, retain=True), NOW)
    broker.publish(_message("farm/b", b"", 0, retain=True), NOW)  # an empty payload deletes
    broker.publish(_message("$SYS/broker/uptime", b"5", 0, retain=True), NOW)

    loaded = _reopen(store, tmp_path)
    assert [m.topic for m in loaded.retained.match("#", NOW)] == ["farm/a"]
    assert loaded.retained.match("$SYS/#", NOW) == []
