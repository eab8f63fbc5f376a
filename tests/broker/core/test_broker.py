"""The hub: sessions, takeover, routing, wills and expiry, with time passed in."""

from __future__ import annotations

from dataclasses import dataclass, field

from broker.codec import Properties, Will
from broker.core.broker import Broker
from broker.core.messages import Delivery, Message
from broker.core.sessions import NEVER_EXPIRES, QueueLimits
from broker.core.subscriptions import Subscription


@dataclass(eq=False)
class FakeConnection:
    delivered: list[Delivery] = field(default_factory=list)
    taken_over: bool = False

    def deliver(self, delivery: Delivery) -> None:
        self.delivered.append(delivery)

    def take_over(self) -> None:
        self.taken_over = True


def _online(broker: Broker, client_id: str, *, clean: bool = True, expiry: int = 0, now: float = 0.0):
    connection = FakeConnection()
    session, present = broker.open_session(client_id, clean, connection, now)
    session.expiry_interval = expiry
    return connection, session, present


def _watch(broker: Broker, topic_filter: str = "#"):
    connection, session, _ = _online(broker, f"watcher-{topic_filter}")
    broker.subscribe(session, Subscription(session.client_id, topic_filter, 2), 0.0)
    return connection


def test_publish_reaches_matching_sessions_at_the_lower_qos():
    broker = Broker()
    connection, session, _ = _online(broker, "sub")
    broker.subscribe(session, Subscription("sub", "a/+", 1), 0)
    assert broker.publish(Message("a/b", b"v", qos=2), 0) == 1
    assert broker.publish(Message("b", b"v"), 0) == 0
    [delivery] = connection.delivered
    assert (delivery.qos, delivery.retain) == (1, False)  # [MQTT-3.3.1-9] retain cleared for live subs


def test_offline_persistent_session_queues_qos1_and_drops_qos0():
    broker = Broker(QueueLimits(max_messages=1))
    connection, session, _ = _online(broker, "p", clean=False, expiry=NEVER_EXPIRES)
    broker.subscribe(session, Subscription("p", "t", 2), 0)
    broker.detach(session, connection, publish_will=False, now=0)
    broker.publish(Message("t", b"0", qos=0), 1)
    broker.publish(Message("t", b"1", qos=1), 1)
    broker.publish(Message("t", b"2", qos=1), 1)
    assert [d.message.payload for d in session.queue] == [b"1"]
    assert broker.stats.publish_dropped == 1
    _, again, present = _online(broker, "p", clean=False)
    assert present is True and again is session


def test_clean_start_discards_the_old_session():
    """[MQTT-3.1.2-4]"""
    broker = Broker()
    connection, session, _ = _online(broker, "c", expiry=NEVER_EXPIRES)
    broker.subscribe(session, Subscription("c", "t", 1), 0)
    broker.detach(session, connection, publish_will=False, now=0)
    _, fresh, present = _online(broker, "c", clean=True)
    assert present is False and fresh is not session
    assert broker.subscriptions.count == 0


def test_takeover_tells_the_old_connection_and_keeps_the_session():
    """[MQTT-3.1.4-3]"""
    broker = Broker()
    old, session, _ = _online(broker, "c", expiry=100)
    new = FakeConnection()
    again, present = broker.open_session("c", False, new, 1)
    assert old.taken_over and present and again is session and session.connection is new


def test_will_goes_out_on_abnormal_end_not_on_normal_one():
    """[MQTT-3.1.2-8] abnormal end publishes; [MQTT-3.1.2-10] normal DISCONNECT discards."""
    broker = Broker()
    watcher = _watch(broker, "will/#")
    for client_id, abnormal in (("a", True), ("b", False)):
        connection, session, _ = _online(broker, client_id)
        session.will = Will(f"will/{client_id}", b"gone", 1, False)
        broker.detach(session, connection, publish_will=abnormal, now=0)
    assert [d.message.topic for d in watcher.delivered] == ["will/a"]


def test_will_delay_waits_and_is_cancelled_by_a_reconnect():
    """[MQTT-3.1.3-9] a new connection before the delay cancels the will."""
    broker = Broker()
    watcher = _watch(broker, "will/#")
    delayed = Properties(will_delay_interval=5)
    for client_id in ("late", "back"):
        connection, session, _ = _online(broker, client_id, expiry=100)
        session.will = Will(f"will/{client_id}", b"gone", 0, False, delayed)
        broker.detach(session, connection, publish_will=True, now=0)
    broker.tick(4)
    assert watcher.delivered == []
    _online(broker, "back", clean=False, now=4.5)
    broker.tick(5)
    assert [d.message.topic for d in watcher.delivered] == ["will/late"]


def test_will_is_sent_when_the_session_ends_before_the_delay():
    """MQTT 5 3.1.3.2.2: the will goes out when the delay passes or the session ends, whichever is first."""
    broker = Broker()
    watcher = _watch(broker, "will/#")
    connection, session, _ = _online(broker, "c", expiry=2)
    session.will = Will("will/c", b"gone", 0, False, Properties(will_delay_interval=60))
    broker.detach(session, connection, publish_will=True, now=0)
    broker.tick(1)
    assert watcher.delivered == []
    broker.tick(2)
    assert [d.message.topic for d in watcher.delivered] == ["will/c"]
    assert "c" not in broker.sessions


def test_session_expiry_ends_an_offline_session():
    """[MQTT-4.1.0-2]"""
    broker = Broker()
    connection, session, _ = _online(broker, "c", expiry=10)
    broker.subscribe(session, Subscription("c", "t", 1), 0)
    broker.detach(session, connection, publish_will=False, now=0)
    broker.tick(9)
    assert "c" in broker.sessions
    broker.tick(10)
    assert "c" not in broker.sessions and broker.subscriptions.count == 0


def test_retain_handling_on_subscribe():
    """[MQTT-3.3.1-9..11] retain handling 0 always, 1 only for a new subscription, 2 never."""
    broker = Broker()
    broker.publish(Message("t", b"r", qos=1, retain=True), 0)
    _, session, _ = _online(broker, "c")
    for handling, expected in ((0, 1), (0, 1), (1, 0), (2, 0)):
        got = broker.subscribe(session, Subscription("c", "t", 1, retain_handling=handling), 0)
        assert len(got) == expected
        assert all(d.retain for d in got)  # [MQTT-3.3.1-8]
    broker.unsubscribe(session, "t")
    assert len(broker.subscribe(session, Subscription("c", "t", 1, retain_handling=1), 0)) == 1


def test_shared_subscriptions_get_no_retained_messages():
    broker = Broker()
    broker.publish(Message("t", b"r", retain=True), 0)
    _, session, _ = _online(broker, "c")
    assert list(broker.subscribe(session, Subscription("c", "t", 0, share_group="g"), 0)) == []


class _ReadPrefix:
    """Access rules as data: read only under one prefix, subscribe anywhere."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def allows(self, topic: str, access: str) -> bool:
        return access != "read" or topic.startswith(self.prefix)


def test_retained_messages_on_subscribe_respect_read_rules():
    """A '#' subscriber gets only the retained messages it may read; each once, RETAIN set, lower QoS."""
    broker = Broker()
    for topic, qos in (("open/a", 2), ("secret/b", 0), ("open/c/d", 0), ("$SYS/open", 0)):
        broker.publish(Message(topic, b"r", qos=qos, retain=True), 0)
    _, session, _ = _online(broker, "c")
    session.rules = _ReadPrefix("open/")
    got = list(broker.subscribe(session, Subscription("c", "#", 1, identifier=4), 0))
    assert [(d.message.topic, d.qos, d.retain, d.subscription_ids) for d in got] == [
        ("open/a", 1, True, (4,)),
        ("open/c/d", 0, True, (4,)),
    ]
