"""Compaction equivalence: any sequence of operations, replayed after compactions and a reopen,
gives what a plain in-memory model of the same operations holds."""

from __future__ import annotations

import tempfile
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broker.persistence import (
    Store,
    StoredDelivery,
    StoredMessage,
    StoredProperties,
    StoredSession,
    StoredSubscription,
    StoredWill,
)

CLIENTS = ["a", "b", "c"]
TOPICS = ["t/1", "t/2", "s/x"]
messages = st.builds(
    StoredMessage,
    st.sampled_from(TOPICS),
    st.binary(max_size=20),
    st.integers(0, 2),
    st.booleans(),
    st.none() | st.floats(1e9, 2e9),
    st.none()
    | st.builds(StoredProperties, st.none() | st.integers(0, 1), user_properties=st.just((("k", "v"),))),
)


class Model:
    """What each operation means, written as directly as possible."""

    def __init__(self) -> None:
        self.sessions: dict[str, StoredSession] = {}
        self.retained: dict[str, StoredMessage] = {}
        self.sequences: dict[str, int] = {}

    def queue(self, client: str, message: StoredMessage, qos: int, packet_id: int | None) -> int:
        sequence = self.sequences[client] = self.sequences.get(client, 0) + 1
        self.sessions[client].deliveries.append(StoredDelivery(sequence, message, qos, False, (), packet_id))
        return sequence

    def free_packet_id(self, client: str) -> int:
        used = {d.packet_id for d in self.sessions[client].deliveries}
        return next(p for p in range(1, 1000) if p not in used)


def _step(data: st.DataObject, store: Store, model: Model) -> None:
    client = data.draw(st.sampled_from(CLIENTS))
    session = model.sessions.get(client)
    actions = ["create", "retain", "clear", "commit", "compact"]
    if session is not None:
        actions += ["resume", "detach", "remove", "subscribe", "unsubscribe", "queue", "queue", "will"]
        actions += ["incoming", "released_in"] if session.incoming_qos2 else ["incoming"]
        if session.queued:
            actions += ["send", "drop"]
        if session.inflight:
            actions += ["ack", "ack", "release"]
    action = data.draw(st.sampled_from(actions))
    for group in (_global_action, _session_action, _delivery_action):
        if group(action, data, store, model, client):
            return
    raise AssertionError(f"unhandled action {action}")


def _global_action(action: str, data: st.DataObject, store: Store, model: Model, client: str) -> bool:
    if action == "create":
        store.session_created(client, 5, 60)
        model.sessions[client] = StoredSession(client, 5, 60)
        model.sequences[client] = 0
    elif action == "retain":
        message = data.draw(messages)
        store.retained_set(message)
        model.retained[message.topic] = message
    elif action == "clear":
        topic = data.draw(st.sampled_from(TOPICS))
        store.retained_cleared(topic)
        model.retained.pop(topic, None)
    elif action == "commit":
        store.commit()
    elif action == "compact":
        store.compact()
    else:
        return False
    return True


def _session_action(action: str, data: st.DataObject, store: Store, model: Model, client: str) -> bool:
    session = model.sessions.get(client)
    if action == "resume":
        store.session_resumed(client, 4, 120)
        session.protocol_version, session.expiry_interval, session.detached_at = 4, 120, None
    elif action == "detach":
        store.session_detached(client, 1.5e9)
        session.detached_at = 1.5e9
    elif action == "remove":
        store.session_removed(client)
        del model.sessions[client]
    elif action == "subscribe":
        subscription = StoredSubscription(data.draw(st.sampled_from(["t/#", "+/x", "t/1"])), 1, identifier=3)
        store.subscription_added(client, subscription)
        session.subscriptions[subscription.key] = subscription
    elif action == "unsubscribe":
        store.subscription_removed(client, "t/#")
        session.subscriptions.pop("t/#", None)
    elif action == "will":
        will = data.draw(st.none() | st.builds(StoredWill, st.just("w"), st.binary(max_size=5)))
        if will is None:
            store.will_cleared(client)
        else:
            store.will_set(client, will)
        session.will = will
    else:
        return False
    return True


def _delivery_action(action: str, data: st.DataObject, store: Store, model: Model, client: str) -> bool:
    session = model.sessions[client]
    if action == "queue":
        message = data.draw(messages)
        packet_id = model.free_packet_id(client) if data.draw(st.booleans()) else None
        sequence = store.message_queued(client, message, message.qos, packet_id=packet_id)
        assert sequence == model.queue(client, message, message.qos, packet_id)
    elif action == "send":
        delivery = data.draw(st.sampled_from(session.queued))
        delivery.packet_id = model.free_packet_id(client)
        store.message_sent(client, delivery.sequence, delivery.packet_id)
    elif action == "drop":
        delivery = data.draw(st.sampled_from(session.queued))
        store.message_dropped(client, delivery.sequence)
        session.deliveries.remove(delivery)
    elif action in ("ack", "release"):
        delivery = data.draw(st.sampled_from(session.inflight))
        if action == "ack":
            store.message_acknowledged(client, delivery.packet_id)
            session.deliveries.remove(delivery)
        else:
            store.message_released(client, delivery.packet_id)
            delivery.released = True
    elif action == "incoming":
        packet_id = data.draw(st.integers(1, 5))
        store.incoming_received(client, packet_id)
        session.incoming_qos2.add(packet_id)
    elif action == "released_in":
        packet_id = data.draw(st.sampled_from(sorted(session.incoming_qos2)))
        store.incoming_released(client, packet_id)
        session.incoming_qos2.discard(packet_id)
    else:
        return False
    return True


def _comparable(sessions: dict[str, StoredSession]) -> dict:
    return {cid: replace(s, deliveries=[replace(d) for d in s.deliveries]) for cid, s in sessions.items()}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_replay_after_compactions_equals_the_model(data: st.DataObject) -> None:
    model = Model()
    with tempfile.TemporaryDirectory() as folder:
        store, _ = Store.open(folder, durable=False, compact_factor=1.5, min_compact_bytes=300)
        for _ in range(data.draw(st.integers(1, 60))):
            _step(data, store, model)
        assert store.state.recovered().sessions == _comparable(model.sessions)
        store.close()
        reopened, state = Store.open(folder, durable=False)
        reopened.close()
    assert state.problems == []
    assert state.retained == model.retained
    assert state.sessions == _comparable(model.sessions)
