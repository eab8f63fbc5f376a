"""Sending to a client: its Receive Maximum, its Maximum Packet Size, queueing and redelivery."""

from __future__ import annotations

import pytest

from broker.codec import ReasonCode
from broker.core.sessions import QueueLimits
from tests.broker.protocol.pair import (
    V5,
    V311,
    Hub,
    Properties,
    PubAck,
    Publish,
    PubRec,
    PubRel,
    SubAck,
    Subscribe,
    SubscriptionRequest,
)


def test_client_receive_maximum_limits_unacknowledged_messages():
    """[MQTT-3.3.4-9] no more than the client's Receive Maximum QoS 1/2 PUBLISH unacknowledged."""
    hub = Hub()
    subscriber = hub.connected("sub", V5, properties=Properties(receive_maximum=2))
    subscriber.subscribe("t", qos=1)
    publisher = hub.connected("pub", V5)
    for number in range(5):
        publisher.publish("t", str(number).encode(), qos=1, packet_id=number + 1)
    first = subscriber.received_publishes()
    assert [p.payload for p in first] == [b"0", b"1"]
    subscriber.send(PubAck(first[0].packet_id))
    assert [p.payload for p in subscriber.received_publishes()] == [b"2"]
    subscriber.send(PubAck(first[1].packet_id))
    assert [p.payload for p in subscriber.received_publishes()] == [b"3"]


def test_messages_larger_than_the_client_accepts_are_dropped_for_that_client():
    """[MQTT-3.1.2-25] never send a packet above the client's Maximum Packet Size."""
    hub = Hub()
    small = hub.connected("small", V5, properties=Properties(maximum_packet_size=64))
    small.subscribe("t", qos=1)
    big = hub.connected("big", V5)
    big.subscribe("t", qos=1)
    publisher = hub.connected("pub", V5)
    publisher.publish("t", b"x" * 100, qos=1)
    publisher.publish("t", b"ok", qos=1, packet_id=2)
    assert [p.payload for p in small.received_publishes()] == [b"ok"]
    assert len(big.received_publishes()) == 2
    assert len(small.connection.session.inflight) == 1  # only the message that was sent


@pytest.mark.parametrize("version", [V311, V5])
def test_unacknowledged_messages_are_resent_with_dup_on_reconnect(version):
    """[MQTT-4.4.0-1] resend unacknowledged PUBLISH (DUP=1 [MQTT-3.3.1-1]) and PUBREL on reconnect."""
    hub = Hub()
    expiry = Properties(session_expiry_interval=100) if version == V5 else None
    subscriber = hub.connected("sub", version, clean=False, properties=expiry)
    subscriber.subscribe("one", "two", qos=2)
    publisher = hub.connected("pub", version)
    publisher.publish("one", b"1", qos=1)
    publisher.publish("two", b"2", qos=2, packet_id=2)
    first, second = subscriber.received_publishes()
    subscriber.send(PubRec(second.packet_id))
    assert isinstance(subscriber.received()[0], PubRel)
    subscriber.drop()
    again = hub.client(version)
    assert again.connect("sub", clean=False, properties=expiry).session_present
    resent = again.received()
    assert isinstance(resent[0], type(first)) and resent[0].dup and resent[0].packet_id == first.packet_id
    assert isinstance(resent[1], PubRel) and resent[1].packet_id == second.packet_id


@pytest.mark.parametrize("version", [V311, V5])
def test_offline_messages_are_queued_and_delivered_on_reconnect(version):
    hub = Hub()
    expiry = Properties(session_expiry_interval=100) if version == V5 else None
    hub.connected("sub", version, clean=False, properties=expiry).subscribe("t", qos=1)
    hub.broker.sessions["sub"].connection.connection_lost()
    publisher = hub.connected("pub", version)
    publisher.publish("t", b"queued", qos=1)
    publisher.publish("t", b"qos0 is not queued", qos=0)
    again = hub.client(version)
    again.connect("sub", clean=False, properties=expiry)
    assert [p.payload for p in again.received_publishes()] == [b"queued"]


def test_offline_queue_is_bounded_and_drops_are_counted():
    hub = Hub(queue_limits=QueueLimits(max_messages=3))
    hub.connected("sub", V311, clean=False).subscribe("t", qos=1)
    hub.broker.sessions["sub"].connection.connection_lost()
    publisher = hub.connected("pub", V311)
    for number in range(5):
        publisher.publish("t", str(number).encode(), qos=1, packet_id=number + 1)
    assert hub.broker.stats.publish_dropped == 2
    again = hub.client(V311)
    again.connect("sub", clean=False)
    assert [p.payload for p in again.received_publishes()] == [b"0", b"1", b"2"]


def test_pubrec_with_an_error_code_ends_the_qos2_exchange():
    """MQTT 5 4.3.3: a PUBREC reason >= 0x80 ends the exchange; the packet id is free again."""
    hub = Hub()
    subscriber = hub.connected("sub", V5)
    subscriber.subscribe("t", qos=2)
    hub.connected("pub", V5).publish("t", qos=2)
    [publish] = subscriber.received_publishes()
    subscriber.send(PubRec(publish.packet_id, ReasonCode.UNSPECIFIED_ERROR))
    assert subscriber.received() == []
    assert not subscriber.connection.session.inflight


def test_encoded_bytes_are_shared_between_subscribers_of_the_same_variant():
    """A fan-out encodes once per variant (DESIGN.md, broker internals)."""
    hub = Hub()
    for name in ("a", "b", "c"):
        hub.connected(name, V311).subscribe("t", qos=1)
    hub.connected("pub", V311).publish("t", b"payload", qos=1)
    message_encodings = [
        d.delivery.message.encodings for s in hub.broker.sessions.values() for d in s.inflight.values()
    ]
    assert len(message_encodings) == 3
    assert all(e is message_encodings[0] for e in message_encodings)
    assert len(message_encodings[0]) == 1


def test_plain_qos0_is_encoded_once_for_every_v311_subscriber():
    """QoS 0 without RETAIN for 3.1.1 subscribers: one byte string shared by all of them, laid out as
    section 3.3 says (fixed header 0x30, remaining length, topic, payload)."""
    hub = Hub()
    subscribers = [hub.connected(name, V311) for name in ("a", "b")]
    for subscriber in subscribers:
        subscriber.subscribe("t/#", qos=0)
    hub.connected("pub", V311).publish("t/1", b"21.4")
    expected = bytes.fromhex("30 09 0003 742f31 32312e34")
    sent = [s.connection.take_output() for s in subscribers]
    assert sent == [expected, expected]


def test_plain_qos0_respects_a_v5_subscribers_own_encoding():
    """A v5 subscriber of the same message still gets its own variant (subscription identifier)."""
    hub = Hub()
    plain = hub.connected("plain", V311)
    plain.subscribe("t", qos=0)
    tagged = hub.connected("tagged", V5)
    tagged.subscribe("t", qos=0, properties=Properties(subscription_identifiers=[7]))
    hub.connected("pub", V311).publish("t", b"x")
    assert plain.received_publishes()[0].payload == b"x"
    assert tagged.received_publishes()[0].properties.subscription_identifiers == [7]


def test_v5_message_without_extras_shares_one_template_per_qos_and_retain():
    """No properties, expiry, subscription ids or aliases: one cached template keyed (version, QoS,
    RETAIN), the same bytes for every such subscriber; an alias-taking client still gets its alias."""
    from broker.codec import encode
    from tests.broker.protocol.pair import Publish

    hub = Hub()
    plain = [hub.connected(f"sub{n}", V5) for n in range(2)]
    for client in plain:
        client.subscribe("t", qos=1)
    aliased = hub.connected("alias", V5, properties=Properties(topic_alias_maximum=5))
    aliased.subscribe("t", qos=1)
    hub.connected("pub", V5).publish("t", b"v", qos=1, retain=True)
    (message,) = hub.broker.retained.match("t", hub.clock.now)
    bare_key = (V5, 1, False)  # [MQTT-3.3.1-9] RETAIN cleared for established subscriptions
    assert bare_key in message.encodings
    assert len(message.encodings) == 2  # the shared one and the alias-taking client's own
    for client in plain:
        (packet,) = client.received_publishes()
        assert encode(packet, V5) == encode(Publish("t", b"v", 1, packet_id=packet.packet_id), V5)
    (packet,) = aliased.received_publishes()
    assert packet.properties.topic_alias == 1  # [MQTT-3.3.2-12] aliases still assigned


# ---- retained messages to a new subscriber (deliver_retained) ------------------------------------


def _retain(hub: Hub, *messages: tuple[str, bytes, int], version=V311, **publish) -> None:
    publisher = hub.connected("retainer", version)
    for number, (topic, payload, qos) in enumerate(messages, start=1):
        publisher.publish(topic, payload, qos=qos, retain=True, packet_id=number if qos else None, **publish)
    publisher.received()


@pytest.mark.parametrize("version", [V311, V5])
def test_retained_messages_follow_the_suback_with_retain_set_at_the_lower_qos(version):
    """[MQTT-3.3.1-6] sent on subscribe, [MQTT-3.3.1-8] RETAIN set, [MQTT-3.8.4-8] the lower QoS,
    in the store's order after the SUBACK; '$' topics not matched by '#' [MQTT-4.7.2-1]."""
    hub = Hub()
    stored = [("a/0", b"zero", 0), ("a/1", b"one", 1), ("b", b"two", 2), ("$SYS/x", b"s", 0), ("c/d", b"", 0)]
    stored += [(f"many/{n}", str(n).encode(), n % 3) for n in range(50)]
    _retain(hub, *stored)
    subscriber = hub.connected("sub", version)
    subscriber.send(Subscribe(7, [SubscriptionRequest("#", 1)], Properties()))
    suback, *publishes = subscriber.received()
    assert isinstance(suback, SubAck) and suback.reason_codes == [1]
    expected = [(t, p, min(q, 1)) for t, p, q in stored if p and not t.startswith("$")]
    assert [(p.topic, p.payload, p.qos) for p in publishes] == expected
    assert all(p.retain for p in publishes)
    assert all((p.packet_id is not None) == (p.qos == 1) for p in publishes)
    assert hub.broker.stats.publish_sent >= len(expected)


def test_plain_retained_bytes_are_laid_out_per_section_3_3_and_shared():
    """The cached QoS 0 RETAIN bytes: 0x31, remaining length, topic, payload (v5: property length 0)."""
    hub = Hub()
    _retain(hub, ("t/1", b"21.4", 1))
    for version, expected in ((V311, "31 09 0003 742f31 32312e34"), (V5, "31 0a 0003 742f31 00 32312e34")):
        for name in ("one", "two"):
            subscriber = hub.connected(f"{name}-{version}", version)
            subscriber.send(Subscribe(1, [SubscriptionRequest("t/#", 0)], Properties()))
            assert subscriber.connection.take_output()[-11 if version == V311 else -12 :] == bytes.fromhex(
                expected
            )


def test_a_qos0_grant_does_not_downgrade_later_subscribers():
    """The cached QoS 0 bytes of a QoS 1 message serve only QoS 0 grants [MQTT-3.8.4-8]."""
    hub = Hub()
    _retain(hub, ("t", b"v", 1))
    for name, granted in (("zero", 0), ("one", 1), ("zero-again", 0)):
        subscriber = hub.connected(name, V311)
        subscriber.subscribe("t", qos=granted)
        [publish] = subscriber.received_publishes()
        assert (publish.qos, publish.retain) == (granted, True)


def test_retained_qos1_messages_go_through_the_send_window_in_order():
    """[MQTT-3.3.4-9] at most Receive Maximum unacknowledged; the rest wait in the session queue."""
    hub = Hub()
    _retain(hub, *[(f"t/{n}", str(n).encode(), 1 if n % 2 else 0) for n in range(8)])
    subscriber = hub.connected("sub", V5, properties=Properties(receive_maximum=2))
    subscriber.subscribe("t/#", qos=1)
    first = subscriber.received_publishes()
    assert [p.payload for p in first] == [b"0", b"1", b"2", b"3", b"4", b"6"]
    assert len(subscriber.connection.session.queue) == 2
    subscriber.send(PubAck(first[1].packet_id), PubAck(first[3].packet_id))
    assert [p.payload for p in subscriber.received_publishes()] == [b"5", b"7"]


def test_v5_retained_messages_keep_their_properties_expiry_and_subscription_id():
    """Properties forwarded [MQTT-3.3.2-4], expiry counted down [MQTT-3.3.2-6], expired ones not
    sent [MQTT-3.3.2-5], subscription identifier attached [MQTT-3.3.4-3]."""
    hub = Hub()
    publisher = hub.connected("retainer", V5)
    publisher.publish("t/bare", b"1", retain=True)
    publisher.publish("t/props", b"2", retain=True, properties=Properties(content_type="text/plain"))
    publisher.publish("t/expiring", b"3", retain=True, properties=Properties(message_expiry_interval=60))
    publisher.publish("t/gone", b"4", retain=True, properties=Properties(message_expiry_interval=5))
    hub.clock.advance(10)
    plain = hub.connected("plain", V5)
    plain.subscribe("t/#")
    got = {p.topic: p for p in plain.received_publishes()}
    assert sorted(got) == ["t/bare", "t/expiring", "t/props"]
    assert got["t/props"].properties.content_type == "text/plain"
    assert got["t/expiring"].properties.message_expiry_interval == 50
    tagged = hub.connected("tagged", V5)
    tagged.subscribe("t/#", properties=Properties(subscription_identifiers=[9]))
    assert [p.properties.subscription_identifiers for p in tagged.received_publishes()] == [[9]] * 3


def test_retained_messages_to_a_client_taking_topic_aliases():
    """[MQTT-3.3.2-12] aliases are the server's choice; each topic still arrives with its name first."""
    hub = Hub()
    _retain(hub, ("a", b"1", 0), ("b", b"2", 0))
    subscriber = hub.connected("sub", V5, properties=Properties(topic_alias_maximum=5))
    subscriber.subscribe("#")
    publishes = subscriber.received_publishes()
    assert [(p.topic, p.properties.topic_alias, p.retain) for p in publishes] == [
        ("a", 1, True),
        ("b", 2, True),
    ]


def test_retained_messages_above_the_clients_maximum_packet_size_are_dropped():
    """[MQTT-3.1.2-25]"""
    hub = Hub()
    _retain(hub, ("t/big", b"x" * 100, 0), ("t/small", b"ok", 0), ("t/big1", b"y" * 100, 1))
    subscriber = hub.connected("sub", V5, properties=Properties(maximum_packet_size=64))
    dropped = hub.broker.stats.publish_dropped
    subscriber.subscribe("t/#", qos=1)
    assert [p.payload for p in subscriber.received_publishes()] == [b"ok"]
    assert hub.broker.stats.publish_dropped == dropped + 2


def test_a_congested_subscriber_loses_retained_qos0_and_queues_the_rest():
    """A slow reader loses QoS 0, never the broker; QoS 1 waits in the session and follows on resume."""
    hub = Hub()
    _retain(hub, ("t/0", b"0", 0), ("t/1", b"1", 1))
    subscriber = hub.connected("sub", V311)
    subscriber.connection.is_congested = True
    subscriber.subscribe("t/#", qos=1)
    assert subscriber.received_publishes() == []
    subscriber.connection.resume()
    assert [(p.payload, p.qos, p.retain) for p in subscriber.received_publishes()] == [(b"1", 1, True)]


def test_pubacks_in_one_read_free_the_window_for_the_waiting_messages_in_order():
    """[MQTT-3.3.4-9] the window refills after a batch of PUBACKs (drained once the read is handled),
    never beyond the Receive Maximum, in publish order [MQTT-4.6.0-6]; a PUBLISH from the same client
    in that read queues behind what already waits."""
    hub = Hub()
    subscriber = hub.connected("sub", V5, properties=Properties(receive_maximum=3))
    subscriber.subscribe("t", qos=1)
    publisher = hub.connected("pub", V5)
    for number in range(8):
        publisher.publish("t", str(number).encode(), qos=1, packet_id=number + 1)
    first = subscriber.received_publishes()
    assert [p.payload for p in first] == [b"0", b"1", b"2"]
    subscriber.send(*(PubAck(p.packet_id) for p in first), Publish("t", b"own", 1, packet_id=9))
    second = subscriber.received_publishes()
    assert [p.payload for p in second] == [b"3", b"4", b"5"]
    assert len(subscriber.connection.session.inflight) == 3
    subscriber.send(*(PubAck(p.packet_id) for p in second))
    assert [p.payload for p in subscriber.received_publishes()] == [b"6", b"7", b"own"]
