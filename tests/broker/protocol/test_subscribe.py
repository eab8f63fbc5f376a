"""SUBSCRIBE / UNSUBSCRIBE: grants, options, identifiers, overlaps, shared groups (MQTT 5.0 3.8-3.11)."""

from __future__ import annotations

import pytest

from broker.codec import ReasonCode
from tests.broker.protocol.pair import (
    V5,
    V311,
    Hub,
    Properties,
    Subscribe,
    SubscriptionRequest,
    UnsubAck,
    Unsubscribe,
)


@pytest.mark.parametrize(("version", "failure"), [(V311, 0x80), (V5, ReasonCode.TOPIC_FILTER_INVALID)])
def test_suback_has_one_code_per_filter_in_order(version, failure):
    """[MQTT-3.8.4-6] one return code per filter; [MQTT-3.8.4-7] invalid filters fail individually."""
    hub = Hub()
    suback = hub.connected("s", version).subscribe("a", "b/#/c", "c", qos=1, packet_id=9)
    assert suback.packet_id == 9  # [MQTT-3.8.4-2]
    assert suback.reason_codes == [1, failure, 1]


def test_v311_overlapping_subscriptions_deliver_one_copy_at_the_highest_qos():
    """[MQTT-3.3.5-1]"""
    hub = Hub()
    subscriber = hub.connected("s", V311)
    subscriber.subscribe("a/#", qos=0)
    subscriber.subscribe("a/+", qos=2, packet_id=2)
    hub.connected("p", V311).publish("a/b", qos=2)
    [delivered] = subscriber.received_publishes()
    assert delivered.qos == 2


def test_v5_overlapping_subscriptions_carry_every_identifier():
    """[MQTT-3.3.4-3] one copy with every matching subscription identifier."""
    hub = Hub()
    subscriber = hub.connected("s", V5)
    subscriber.subscribe("a/#", properties=Properties(subscription_identifiers=[3]))
    subscriber.subscribe("a/+", packet_id=2, properties=Properties(subscription_identifiers=[7]))
    subscriber.subscribe("a/b", packet_id=3)
    hub.connected("p", V5).publish("a/b")
    [delivered] = subscriber.received_publishes()
    assert sorted(delivered.properties.subscription_identifiers) == [3, 7]


def test_no_local_stops_own_messages():
    """[MQTT-3.8.3-3]"""
    hub = Hub()
    client = hub.connected("me", V5)
    client.subscribe("t", no_local=True)
    client.publish("t", b"mine")
    assert client.received_publishes() == []
    hub.connected("other", V5).publish("t", b"theirs")
    assert [p.payload for p in client.received_publishes()] == [b"theirs"]


def test_no_local_on_a_shared_subscription_is_a_protocol_error():
    """[MQTT-3.8.3-4]"""
    hub = Hub()
    client = hub.connected("me", V5)
    client.send(Subscribe(1, [SubscriptionRequest("$share/g/t", 0, no_local=True)]))
    [disconnect] = client.received()
    assert disconnect.reason_code == ReasonCode.PROTOCOL_ERROR


@pytest.mark.parametrize("as_published", [False, True])
def test_retain_as_published(as_published):
    """[MQTT-3.3.1-12/13] keep the RETAIN flag only when Retain As Published is set."""
    hub = Hub()
    subscriber = hub.connected("s", V5)
    subscriber.subscribe("t", retain_as_published=as_published)
    hub.connected("p", V5).publish("t", b"v", retain=True)
    assert subscriber.received_publishes()[0].retain is as_published


@pytest.mark.parametrize(("handling", "first", "again"), [(0, 1, 1), (1, 1, 0), (2, 0, 0)])
def test_retain_handling(handling, first, again):
    """[MQTT-3.3.1-9..11]"""
    hub = Hub()
    hub.connected("p", V5).publish("t", b"kept", retain=True)
    subscriber = hub.connected("s", V5)
    subscriber.subscribe("t", retain_handling=handling)
    got_first = subscriber.received_publishes()
    subscriber.subscribe("t", retain_handling=handling, packet_id=2)
    got_again = subscriber.received_publishes()
    assert (len(got_first), len(got_again)) == (first, again)
    assert all(p.retain for p in got_first)  # [MQTT-3.3.1-8]


def test_retained_message_is_deleted_by_an_empty_payload():
    """[MQTT-3.3.1-10]"""
    hub = Hub()
    publisher = hub.connected("p", V311)
    publisher.publish("t", b"kept", retain=True)
    publisher.publish("t", b"", retain=True)
    subscriber = hub.connected("s", V311)
    subscriber.subscribe("t")
    assert subscriber.received_publishes() == []


def test_retained_messages_carry_the_subscription_identifier():
    hub = Hub()
    hub.connected("p", V5).publish("t", b"kept", retain=True)
    subscriber = hub.connected("s", V5)
    subscriber.subscribe("t", properties=Properties(subscription_identifiers=[42]))
    assert subscriber.received_publishes()[0].properties.subscription_identifiers == [42]


def test_shared_subscription_delivers_each_message_to_one_member():
    """[MQTT-4.8.2-3]"""
    hub = Hub()
    members = [hub.connected(f"m{i}", V5) for i in range(3)]
    for member in members:
        member.subscribe("$share/workers/jobs/+", qos=1)
    publisher = hub.connected("p", V5)
    for number in range(6):
        publisher.publish("jobs/x", str(number).encode())
    counts = [len(member.received_publishes()) for member in members]
    assert counts == [2, 2, 2]


def test_dollar_topics_are_not_matched_by_leading_wildcards():
    """[MQTT-4.7.2-1]"""
    hub = Hub()
    subscriber = hub.connected("s", V311)
    subscriber.subscribe("#", "+/x")
    explicit = hub.connected("e", V311)
    explicit.subscribe("$app/#")
    hub.connected("p", V311).publish("$app/x")
    assert subscriber.received_publishes() == []
    assert len(explicit.received_publishes()) == 1


def test_unsubscribe_stops_delivery_and_v5_reports_each_filter():
    """[MQTT-3.10.4-1] removed; [MQTT-3.11.3-1] v5 codes: success / no subscription existed."""
    hub = Hub()
    subscriber = hub.connected("s", V5)
    subscriber.subscribe("t", "$share/g/u")
    subscriber.send(Unsubscribe(5, ["t", "never", "$share/g/u"]))
    [unsuback] = subscriber.received()
    assert isinstance(unsuback, UnsubAck) and unsuback.packet_id == 5
    assert unsuback.reason_codes == [0, ReasonCode.NO_SUBSCRIPTION_EXISTED, 0]
    hub.connected("p", V5).publish("t")
    assert subscriber.received_publishes() == []
    assert hub.broker.subscriptions.count == 0
