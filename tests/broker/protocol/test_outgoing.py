"""Sending to a client: its Receive Maximum, its Maximum Packet Size, queueing and redelivery."""

from __future__ import annotations

import pytest

from broker.codec import ReasonCode
from broker.core.sessions import QueueLimits
from tests.broker.protocol.pair import V5, V311, Hub, Properties, PubAck, PubRec, PubRel


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
