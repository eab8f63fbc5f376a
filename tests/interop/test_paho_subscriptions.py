"""paho-mqtt 2.x: overlapping and shared subscriptions, `$` topics, and the MQTT 5 subscription options."""

from __future__ import annotations

import queue
import time

import pytest

from tests.interop.brokers import unique_id

pytestmark = pytest.mark.interop

VERSIONS = [pytest.param(4, id="v311"), pytest.param(5, id="v5")]


def test_overlapping_subscriptions_respect_the_highest_qos(paho):
    """[MQTT-3.3.4-2] (5.0) a message matching several of a client's filters is delivered respecting the
    maximum QoS of all of them (5.0 allows further copies, one per extra subscription, at its own QoS)."""
    root = unique_id("subs/overlap5")
    subscriber = paho()
    subscriber.subscribe(f"{root}/#", 0)
    subscriber.subscribe(f"{root}/+", 2)
    paho().publish(f"{root}/kitchen", b"hot", qos=2)
    copies = drain_all([subscriber], expected=2, timeout=1.0)
    assert 1 <= len(copies) <= 2, copies
    assert 2 in {message.qos for message in copies}


@pytest.mark.parametrize("version", VERSIONS)
def test_overlapping_subscriptions_deliver_one_copy_at_highest_qos(paho, version):
    """3.1.1 [MQTT-3.3.5-1]: one delivery respecting the maximum QoS of all matching subscriptions.
    For 5.0 issue 2 asks the same single copy (stricter than [MQTT-3.3.4-2], which allows extra copies)."""
    root = unique_id("subs/overlap")
    subscriber = paho(version=version)
    subscriber.subscribe(f"{root}/#", 0)
    subscriber.subscribe(f"{root}/+", 2)
    paho(version=version).publish(f"{root}/kitchen", b"hot", qos=2)
    (message,) = subscriber.receive(1)
    assert (message.payload, message.qos) == (b"hot", 2)
    subscriber.receive_none(0.5)


def test_v5_overlapping_subscriptions_carry_their_subscription_identifiers(paho):
    """[MQTT-3.3.4-3] the identifiers of the matching subscriptions are sent: [MQTT-3.3.4-4] all of them in a
    single copy, or [MQTT-3.3.4-5] each copy with its own subscription's identifier."""
    root = unique_id("subs/ids")
    subscriber = paho()
    subscriber.subscribe(f"{root}/#", 1, subscription_id=11)
    subscriber.subscribe(f"{root}/+", 1, subscription_id=22)
    subscriber.subscribe(f"{root}/other", 1, subscription_id=33)
    paho().publish(f"{root}/kitchen", b"both", qos=1)
    copies = drain_all([subscriber], expected=2, timeout=1.0)
    identifiers = sorted(sorted(message.properties.SubscriptionIdentifier) for message in copies)
    assert identifiers in ([[11, 22]], [[11], [22]])


def test_v5_overlapping_subscriptions_one_copy_with_every_identifier(paho):
    """Issue 2's choice: one copy carrying every matching identifier ([MQTT-3.3.4-4])."""
    root = unique_id("subs/one-copy")
    subscriber = paho()
    subscriber.subscribe(f"{root}/#", 1, subscription_id=11)
    subscriber.subscribe(f"{root}/+", 1, subscription_id=22)
    paho().publish(f"{root}/kitchen", b"both", qos=1)
    (message,) = subscriber.receive(1)
    assert sorted(message.properties.SubscriptionIdentifier) == [11, 22]
    subscriber.receive_none(0.5)


def test_v5_subscription_identifier_is_sent_with_retained_messages(paho):
    """[MQTT-3.3.4-3] a retained message sent because of a subscription carries its identifier."""
    topic = unique_id("subs/retained-id")
    paho().publish(topic, b"kept", qos=1, retain=True)
    subscriber = paho()
    subscriber.subscribe(topic, 1, subscription_id=5)
    (message,) = subscriber.receive(1)
    assert (message.payload, message.retain, message.properties.SubscriptionIdentifier) == (
        b"kept",
        True,
        [5],
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_shared_subscription_gives_each_message_to_exactly_one_member(paho, version):
    """4.8.2 shared subscriptions: each message goes to one member of `$share/group/...` [MQTT-4.8.2-1..3];
    an ordinary subscriber on the same filter still gets every message."""
    topic, group = unique_id("subs/shared"), unique_id("group")
    members = [paho(version=version) for _ in range(2)]
    for member in members:
        assert member.subscribe(f"$share/{group}/{topic}", 1) == [1]
    ordinary = paho(version=version)
    ordinary.subscribe(topic, 1)
    publisher = paho(version=version)
    payloads = [f"job {number}".encode() for number in range(20)]
    for payload in payloads:
        publisher.publish(topic, payload, qos=1)
    assert [m.payload for m in ordinary.receive(20)] == payloads
    shared = [message.payload for message in drain_all(members, expected=20)]
    assert sorted(shared) == sorted(payloads), "every message to exactly one member, none lost or doubled"


def drain_all(clients, expected: int, timeout: float = 5.0) -> list:
    """Messages any of ``clients`` got until ``expected`` arrive or time is up; then a quiet check."""
    received: list = []
    deadline = time.monotonic() + timeout
    while len(received) < expected and time.monotonic() < deadline:
        for client in clients:
            try:
                received.append(client.messages.get(timeout=0.05))
            except queue.Empty:
                continue
    for client in clients:
        client.receive_none(0.2)
    return received


@pytest.mark.parametrize("version", VERSIONS)
def test_dollar_topics_are_not_matched_by_leading_wildcards(paho, version):
    """[MQTT-4.7.2-1] filters starting with '#' or '+' do not match topic names starting with '$';
    `$SYS/#` does (the broker publishes `$SYS/broker/...`)."""
    sys_watcher = paho(version=version)
    sys_watcher.subscribe("$SYS/#", 0)
    assert sys_watcher.receive(1, timeout=12.0)[0].topic.startswith("$SYS/")
    everything = paho(version=version)
    everything.subscribe("#", 0)
    everything.subscribe("+/broker/#", 0)
    everything.subscribe("+/+/+", 0)
    time.sleep(1.5)  # retained `$SYS` topics would arrive at once; Mosquitto also republishes every second
    leaked = []
    while not everything.messages.empty():
        topic = everything.messages.get_nowait().topic
        if topic.startswith("$"):
            leaked.append(topic)
    assert leaked == []


@pytest.mark.parametrize("version", VERSIONS)
def test_client_published_dollar_topic_reaches_only_explicit_filters(paho, version):
    """[MQTT-4.7.2-1] a client may publish to a `$`-topic other than `$SYS`; `#` and `+/...` do not match it,
    a filter naming its first level does."""
    root = unique_id("$interop")
    wildcard = paho(version=version)
    wildcard.subscribe("#", 1)
    wildcard.subscribe("+/x", 1)
    explicit = paho(version=version)
    explicit.subscribe(f"{root}/#", 1)
    paho(version=version).publish(f"{root}/x", b"dollar", qos=1)
    assert explicit.receive(1)[0].topic == f"{root}/x"
    time.sleep(0.3)
    leaked = []
    while not wildcard.messages.empty():
        topic = wildcard.messages.get_nowait().topic
        if topic.startswith("$"):
            leaked.append(topic)
    assert leaked == []


def test_v5_no_local_drops_the_clients_own_messages(paho):
    """[MQTT-3.8.3-3] with No Local = 1 the server does not forward a client's own publications to it."""
    topic = unique_id("subs/nolocal")
    client = paho()
    client.subscribe(topic, 1, noLocal=True)
    other = paho()
    other.subscribe(topic, 1)
    client.publish(topic, b"mine", qos=1)
    assert other.receive(1)[0].payload == b"mine"
    client.receive_none(0.5)
    other.publish(topic, b"theirs", qos=1)
    assert client.receive(1)[0].payload == b"theirs"


@pytest.mark.parametrize("retain_as_published", [False, True])
def test_v5_retain_as_published(paho, retain_as_published):
    """[MQTT-3.3.1-12] Retain As Published = 0: live messages are forwarded with RETAIN 0;
    [MQTT-3.3.1-13] = 1: RETAIN is kept as the publisher set it."""
    topic = unique_id("subs/rap")
    subscriber = paho()
    subscriber.subscribe(topic, 1, retainAsPublished=retain_as_published)
    paho().publish(topic, b"live and retained", qos=1, retain=True)
    (message,) = subscriber.receive(1)
    assert message.retain is retain_as_published


@pytest.mark.parametrize(
    ("retain_handling", "first", "again"), [(0, True, True), (1, True, False), (2, False, False)]
)
def test_v5_retain_handling(paho, retain_handling, first, again):
    """[MQTT-3.3.1-9] 0: retained sent on every subscribe; [MQTT-3.3.1-10] 1: only when the subscription is
    new; [MQTT-3.3.1-11] 2: never."""
    topic = unique_id("subs/rh")
    paho().publish(topic, b"kept", qos=1, retain=True)
    subscriber = paho()
    for expected in (first, again):
        subscriber.subscribe(topic, 1, retainHandling=retain_handling)
        if expected:
            (message,) = subscriber.receive(1)
            assert (message.payload, message.retain) == (b"kept", True)
        else:
            subscriber.receive_none(0.5)
