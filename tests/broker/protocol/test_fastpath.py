"""Plain QoS 0 PUBLISH forwarded as bytes (broker/protocol/fastpath.py): same behaviour as the
normal path, in every case where routing depends on more than the topic."""

from __future__ import annotations

import pytest

from broker.codec import Publish, ReasonCode
from broker.codec.encoder import encode
from broker.codec.packets import SubscriptionRequest
from broker.protocol.fastpath import to_v5, to_v311
from tests.broker.protocol.pair import V5, V311, Hub, Properties, PubAck, Subscribe, Unsubscribe
from tests.broker.protocol.test_access import Gate, TopicRules, _login


def _plain(topic: str, payload: bytes, version) -> bytes:
    return encode(Publish(topic, payload), version)


def _payloads(client) -> list[tuple[str, bytes]]:
    return [(packet.topic, packet.payload) for packet in client.received_publishes()]


@pytest.mark.parametrize("publisher_version", [V311, V5])
@pytest.mark.parametrize("subscriber_version", [V311, V5])
def test_runs_in_one_read_arrive_complete_and_in_order(publisher_version, subscriber_version):
    """[MQTT-4.6.0-6] topics are ordered: messages from one publisher arrive in the order sent,
    across runs of different topics in one read, between any protocol versions."""
    hub = Hub()
    subscriber = hub.connected("sub", subscriber_version)
    subscriber.subscribe("room/#")
    publisher = hub.connected("pub", publisher_version)
    sent = [(f"room/{n % 3 // 2}", str(n).encode()) for n in range(60)]
    publisher.send_bytes(b"".join(_plain(topic, payload, publisher_version) for topic, payload in sent))
    publisher.send_bytes(b"".join(_plain(topic, payload, publisher_version) for topic, payload in sent))
    assert _payloads(subscriber) == sent + sent
    assert hub.broker.stats.publish_received == hub.broker.stats.publish_sent == 120


@pytest.mark.parametrize("payload_size", [0, 1, 120, 121, 122, 16_370, 16_371, 16_372])
def test_version_conversion_keeps_topic_and_payload_across_length_field_sizes(payload_size):
    """Adding or removing the empty property list may change the Remaining Length's size (127/128,
    16383/16384 bytes) [MQTT-1.5.5-1]; the converted packet is what the encoder makes."""
    payload = bytes(range(256)) * (payload_size // 256) + bytes(payload_size % 256)
    as_v311, as_v5 = _plain("a/b", payload, V311), _plain("a/b", payload, V5)
    assert to_v5(as_v311) == as_v5
    assert to_v311(as_v5) == as_v311


def test_a_new_subscriber_gets_the_next_message_and_an_unsubscribed_one_does_not():
    hub = Hub()
    first = hub.connected("first", V311)
    first.subscribe("t")
    publisher = hub.connected("pub", V311)
    publisher.send_bytes(_plain("t", b"1", V311))
    second = hub.connected("second", V5)
    second.subscribe("t")
    publisher.send_bytes(_plain("t", b"2", V311))
    assert _payloads(first) == [("t", b"1"), ("t", b"2")]
    first.send(Unsubscribe(7, ["t"]))
    assert [type(packet).__name__ for packet in first.received()] == ["UnsubAck"]
    publisher.send_bytes(_plain("t", b"3", V311))
    assert first.received() == []
    assert _payloads(second) == [("t", b"2"), ("t", b"3")]


def test_a_subscriber_that_went_away_and_came_back_is_served_by_its_new_connection():
    hub = Hub()
    old = hub.connected("sub", V311, clean=False)
    old.subscribe("t")
    publisher = hub.connected("pub", V311)
    publisher.send_bytes(_plain("t", b"1", V311))
    old.drop()
    publisher.send_bytes(_plain("t", b"lost", V311))  # QoS 0 is not queued for an offline session
    new = hub.connected("sub", V311, clean=False)
    publisher.send_bytes(_plain("t", b"2", V311))
    assert _payloads(old) == [("t", b"1")]
    assert _payloads(new) == [("t", b"2")]


@pytest.mark.parametrize(
    ("topic_field", "spec_id"),
    [
        (b"\x00\x03a/+", "MQTT-3.3.2-2"),
        (b"\x00\x03a\xff\xfe", "MQTT-1.5.3-1"),
        (b"\x00\x03a\x00b", "MQTT-1.5.3-2"),
    ],
)
def test_a_bad_topic_closes_only_its_connection_after_the_good_packets_before_it(topic_field, spec_id):
    """Packets before the bad one in the same read are delivered, then only that connection closes."""
    hub = Hub()
    subscriber = hub.connected("sub", V311)
    subscriber.subscribe("a/#")
    publisher = hub.connected("pub", V311)
    bad = b"\x30" + bytes((len(topic_field) + 1,)) + topic_field + b"x"
    publisher.send_bytes(_plain("a/ok", b"1", V311) * 2 + bad + _plain("a/ok", b"never", V311))
    assert publisher.is_closed
    assert _payloads(subscriber) == [("a/ok", b"1")] * 2
    assert not subscriber.is_closed


def test_reader_and_writer_rules_apply_on_every_message():
    """The ACL decides per topic: a reader without read access gets nothing, a writer without write
    access reaches no one (QoS 0 refusals are silent)."""
    hub = Hub()
    rules = {
        "reader": (b"pw", TopicRules(read="open/", write="", subscribe="o")),
        "writer": (b"pw", TopicRules(read="", write="open/", subscribe="")),
        "all": (b"pw", TopicRules(read="o", write="o", subscribe="o")),
    }
    hub.broker.gatekeeper = Gate(rules)
    reader = _login(hub, "reader", "reader", b"pw", V311)
    reader.subscribe("open/#", "other/#")
    everyone = _login(hub, "all", "all", b"pw", V311)
    everyone.subscribe("open/#", "other/#")
    writer = _login(hub, "writer", "writer", b"pw", V311)
    for _ in range(2):  # the second time from the cached routes
        writer.send_bytes(_plain("open/a", b"w", V311) + _plain("other/a", b"denied", V311))
        everyone.send_bytes(_plain("other/b", b"e", V311))
    assert _payloads(reader) == [("open/a", b"w")] * 2
    assert _payloads(everyone) == [("open/a", b"w"), ("other/b", b"e")] * 2


def test_subscription_identifiers_reach_an_mqtt5_subscriber():
    """[MQTT-3.3.4-3] the identifiers of the matching subscriptions go with the message."""
    hub = Hub()
    subscriber = hub.connected("sub", V5)
    subscriber.subscribe("t/#", properties=Properties(subscription_identifiers=[42]))
    publisher = hub.connected("pub", V311)
    publisher.send_bytes(_plain("t/x", b"1", V311) * 3)
    packets = subscriber.received_publishes()
    assert [p.properties.subscription_identifiers for p in packets] == [[42]] * 3
    assert not publisher.connection.plain_routes.table[b"\x00\x03t/x"].bytes_only


def test_shared_subscription_members_take_turns_from_the_first_message():
    """[MQTT-4.8.2-3] each message goes to one member; the fast path never skews the turns."""
    hub = Hub()
    members = [hub.connected(f"m{n}", V5) for n in range(2)]
    for member in members:
        member.subscribe("$share/g/t")
    publisher = hub.connected("pub", V5)
    publisher.send_bytes(_plain("t", b"x", V5) * 4)
    assert [len(member.received_publishes()) for member in members] == [2, 2]


def test_outgoing_topic_aliases_are_still_assigned():
    hub = Hub()
    subscriber = hub.connected("sub", V5, properties=Properties(topic_alias_maximum=5))
    subscriber.subscribe("t/#")
    publisher = hub.connected("pub", V311)
    publisher.send_bytes(_plain("t/x", b"1", V311) * 2)
    first, second = subscriber.received_publishes()
    assert (first.topic, first.properties.topic_alias) == ("t/x", 1)
    assert (second.topic, second.properties.topic_alias) == ("", 1)


def test_a_subscriber_maximum_packet_size_still_drops_what_is_too_large():
    """[MQTT-3.1.2-25] a PUBLISH larger than the client's Maximum Packet Size is not sent to it."""
    hub = Hub()
    small = hub.connected("small", V5, properties=Properties(maximum_packet_size=64))
    small.subscribe("t")
    publisher = hub.connected("pub", V311)
    publisher.send_bytes(_plain("t", b"s", V311) + _plain("t", b"L" * 100, V311) + _plain("t", b"s2", V311))
    assert _payloads(small) == [("t", b"s"), ("t", b"s2")]


def test_no_local_keeps_a_publisher_own_messages_from_it():
    """[MQTT-3.8.3-3] with No Local, a client's own messages are not sent back to it; others get them."""
    hub = Hub()
    publisher = hub.connected("pub", V5)
    publisher.send(Subscribe(1, [SubscriptionRequest("t", 0, no_local=True)], Properties()))
    publisher.received()
    other = hub.connected("other", V5)
    other.subscribe("t")
    publisher.send_bytes(_plain("t", b"x", V5) * 2)
    assert publisher.received_publishes() == []
    assert len(other.received_publishes()) == 2


def test_a_congested_subscriber_loses_qos0_and_the_loss_is_counted():
    hub = Hub()
    slow = hub.connected("slow", V311)
    slow.subscribe("t")
    fast = hub.connected("fast", V311)
    fast.subscribe("t")
    publisher = hub.connected("pub", V311)
    publisher.send_bytes(_plain("t", b"1", V311))
    slow.connection.is_congested = True
    publisher.send_bytes(_plain("t", b"2", V311) * 3)
    assert len(slow.received_publishes()) == 1
    assert len(fast.received_publishes()) == 4
    assert hub.broker.stats.publish_dropped == 3


def test_retained_and_qos1_messages_still_take_the_normal_path():
    """RETAIN set: stored [MQTT-3.3.1-5]; QoS 1: acknowledged; neither is a plain packet."""
    hub = Hub()
    publisher = hub.connected("pub", V311)
    publisher.send_bytes(encode(Publish("t", b"kept", 0, True), V311))
    publisher.send_bytes(encode(Publish("t", b"q1", 1, packet_id=5), V311))
    assert publisher.received()[0].reason_code == ReasonCode.SUCCESS
    late = hub.connected("late", V311)
    late.subscribe("t")
    (packet,) = late.received_publishes()
    assert (packet.payload, packet.retain) == (b"kept", True)


def _qos1(topic: str, payload: bytes, packet_id: int, version) -> bytes:
    return encode(Publish(topic, payload, 1, packet_id=packet_id), version)


@pytest.mark.parametrize("publisher_version", [V311, V5])
def test_qos1_reaches_each_subscriber_at_its_granted_qos_with_its_own_packet_ids(publisher_version):
    """[MQTT-3.8.4-8] delivered at min(published, granted); [MQTT-2.2.1-3] ids are the broker's own
    per session; the publisher gets one success PUBACK per message [MQTT-4.3.2-2]."""
    hub = Hub()
    at_qos1 = hub.connected("q1", V311)
    at_qos1.subscribe("t/#", qos=1)
    at_qos0 = hub.connected("q0", V5)
    at_qos0.subscribe("t/#", qos=0)
    publisher = hub.connected("pub", publisher_version)
    for round_ in range(2):  # the second round from the cached route
        publisher.send_bytes(
            b"".join(_qos1("t/a", f"{round_}{n}".encode(), 100 + n, publisher_version) for n in range(3))
        )
    acks = publisher.received()
    assert [(a.packet_id, a.reason_code) for a in acks] == [(100 + n, 0) for n in range(3)] * 2
    got = at_qos1.received_publishes()
    assert [(p.qos, p.payload, p.packet_id) for p in got] == [
        (1, f"{r}{n}".encode(), 1 + 3 * r + n) for r in range(2) for n in range(3)
    ]
    assert [(p.qos, p.packet_id) for p in at_qos0.received_publishes()] == [(0, None)] * 6
    assert len(at_qos1.connection.session.inflight) == 6
    route = publisher.connection.plain_routes.table[b"\x00\x03t/a"]  # the second round's
    assert (len(route.direct), len(route.general)) == ((1, 1) if publisher_version == V311 else (0, 2))
    at_qos1.send(*(PubAck(p.packet_id) for p in got))
    assert len(at_qos1.connection.session.inflight) == 0


def test_qos1_waits_for_the_receive_maximum_and_for_an_offline_session():
    """[MQTT-3.3.4-9] no more unacknowledged than the client's Receive Maximum; the rest waits in
    order; an offline session keeps QoS 1 messages [MQTT-3.1.2-4] and gets them on reconnect."""
    hub = Hub()
    narrow = hub.connected("narrow", V5, properties=Properties(receive_maximum=2))
    narrow.subscribe("t", qos=1)
    away = hub.connected("away", V311, clean=False)
    away.subscribe("t", qos=1)
    away.drop()
    publisher = hub.connected("pub", V311)
    publisher.send_bytes(b"".join(_qos1("t", str(n).encode(), n + 1, V311) for n in range(5)))
    first = narrow.received_publishes()
    assert [p.payload for p in first] == [b"0", b"1"]
    narrow.send(PubAck(first[0].packet_id))
    assert [p.payload for p in narrow.received_publishes()] == [b"2"]
    back = hub.connected("away", V311, clean=False)
    assert [p.payload for p in back.received_publishes()] == [str(n).encode() for n in range(5)]


def test_unacknowledged_qos1_is_resent_with_dup_on_reconnect():
    """[MQTT-4.4.0-1] resent with the same packet id and DUP set [MQTT-3.3.1-1]."""
    hub = Hub()
    subscriber = hub.connected("sub", V311, clean=False)
    subscriber.subscribe("t", qos=1)
    publisher = hub.connected("pub", V311)
    publisher.send_bytes(_qos1("t", b"once", 9, V311) * 2)
    first = subscriber.received_publishes()
    subscriber.drop()
    again = hub.connected("sub", V311, clean=False).received_publishes()
    assert [(p.packet_id, p.dup, p.payload) for p in again] == [(p.packet_id, True, b"once") for p in first]


def test_mqtt5_qos1_without_subscribers_is_acknowledged_with_no_matching_subscribers():
    """MQTT 5 PUBACK reason 0x10 when nobody subscribed [MQTT5 3.4.2.1]; 3.1.1 has only success."""
    hub = Hub()
    v5 = hub.connected("v5", V5)
    v311 = hub.connected("v311", V311)
    for _ in range(2):
        v5.send_bytes(_qos1("nobody", b"x", 4, V5))
        v311.send_bytes(_qos1("nobody", b"x", 4, V311))
    assert [a.reason_code for a in v5.received()] == [ReasonCode.NO_MATCHING_SUBSCRIBERS] * 2
    assert [a.reason_code for a in v311.received()] == [ReasonCode.SUCCESS] * 2
