"""From engine objects to records and back into a fresh engine after a restart."""

from __future__ import annotations

from pathlib import Path

from broker.codec import Properties, Will
from broker.core.broker import Broker
from broker.core.messages import Message
from broker.core.subscriptions import Subscription
from broker.persistence import Store
from broker.persistence.engine import load_into, stored_message, stored_subscription, stored_will

WALL = 1_800_000_000.0  # wall clock at the first run
MONO = 500.0  # monotonic clock at the first run; the restarted machine's starts again near 0


def _first_run(folder: Path) -> Message:
    store, _ = Store.open(folder, durable=False)
    reading = Message(
        "perch/g/climate/temperature", b"21.4", 1, True, Properties(content_type="text/plain"), MONO + 3600
    )
    store.session_created("phone", 5, 7200)
    store.subscription_added("phone", stored_subscription(Subscription("phone", "perch/#", 1, identifier=4)))
    store.subscription_added("phone", stored_subscription(Subscription("phone", "x/+", 0, share_group="g")))
    record = stored_message(reading, MONO, WALL)
    assert stored_message(reading, MONO, WALL) is record  # cached: a fan-out is written once
    store.retained_set(record)
    store.message_queued("phone", record, 1, True, (4,), packet_id=12)
    store.message_queued("phone", record, 1, True, (4,))
    store.incoming_received("phone", 7)
    store.will_set(
        "phone", stored_will(Will("perch/g/status", b"offline", 1, True, Properties(will_delay_interval=60)))
    )
    store.session_detached("phone", WALL + 10)
    store.session_created("gone", 5, 30)
    store.session_detached("gone", WALL)
    store.close()
    return reading


def test_a_restarted_engine_gets_sessions_queues_and_retained_back(tmp_path: Path) -> None:
    _first_run(tmp_path)
    _, state = Store.open(tmp_path, durable=False)
    broker = Broker()
    now, wall_now = 5.0, WALL + 40  # 30 s after the phone went away
    expired = load_into(broker, state, now, wall_now)

    assert expired == ["gone"]
    session = broker.sessions["phone"]
    assert session.connection is None and session.expires_at == now + 7200 - 30
    assert set(session.subscriptions) == {"perch/#", "$share/g/x/+"}
    direct, _ = broker.subscriptions.match("perch/g/climate/temperature", "someone", broker.is_online)
    assert direct["phone"].identifiers == (4,)
    [inflight] = session.inflight.values()
    assert inflight.packet_id == 12 and inflight.delivery.subscription_ids == (4,)
    [queued] = session.queue
    assert queued.message is inflight.delivery.message  # one message object, as before the restart
    message = queued.message
    assert (message.topic, message.payload, message.properties.content_type) == (
        "perch/g/climate/temperature",
        b"21.4",
        "text/plain",
    )
    assert message.expires_at == now + 3600 - 40  # the expiry kept counting while the broker was down
    assert session.incoming_qos2 == {7}
    assert session.will.topic == "perch/g/status" and session.will_due == now + 30
    [retained] = broker.retained.match("perch/#", now)
    assert retained.retain and retained.payload == b"21.4"


def test_an_expired_retained_message_is_not_loaded(tmp_path: Path) -> None:
    _first_run(tmp_path)
    _, state = Store.open(tmp_path, durable=False)
    broker = Broker()
    load_into(broker, state, 0.0, WALL + 4000)
    assert broker.retained.count == 0
