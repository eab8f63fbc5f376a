"""MQTT 5 flow features with hand-built packets: topic aliases, receive maximum, problem information."""

from __future__ import annotations

import pytest

from tests.interop import raw
from tests.interop.brokers import unique_id

pytestmark = pytest.mark.interop


def connect(broker, **connect_args) -> tuple[raw.RawClient, raw.Packet]:
    client, connack = raw.connect_raw(broker.host, broker.port, unique_id("raw5"), **connect_args)
    assert raw.reason_code(connack) == 0
    return client, connack


def subscribe(client: raw.RawClient, topic_filter: str, qos: int) -> None:
    client.send(raw.subscribe(1, [(topic_filter, qos)]))
    assert client.expect(raw.SUBACK).body[-1] == qos


def test_client_topic_alias_is_accepted_and_resolved(broker_under_test, paho):
    """[MQTT-3.2.2-17] the CONNACK's Topic Alias Maximum allows aliases; [MQTT-3.3.2-12] the server accepts
    every alias from 1 to it; an alias is set by a PUBLISH with topic and alias, used by one with an empty
    topic, and remapped by a later PUBLISH with another topic."""
    root = unique_id("raw5/alias-in")
    subscriber = paho()
    subscriber.subscribe(f"{root}/#", 1)
    client, connack = connect(broker_under_test)
    with client:
        (alias_maximum,) = connack.props.get(raw.TOPIC_ALIAS_MAXIMUM, [0])
        assert alias_maximum >= 1, "the broker must accept topic aliases (issue 2)"
        sends = [(f"{root}/a", b"set"), ("", b"use"), (f"{root}/b", b"remap"), ("", b"use again")]
        for packet_id, (topic, payload) in enumerate(sends, start=1):
            alias = ((raw.TOPIC_ALIAS, alias_maximum),)
            client.send(raw.publish(topic, payload, qos=1, packet_id=packet_id, props=alias))
            assert raw.reason_code(client.expect(raw.PUBACK)) < 0x80
    received = [(m.topic, m.payload) for m in subscriber.receive(4)]
    assert received == [
        (f"{root}/a", b"set"),
        (f"{root}/a", b"use"),
        (f"{root}/b", b"remap"),
        (f"{root}/b", b"use again"),
    ]


def resolve_aliases(messages: list[raw.Message], alias_maximum: int) -> list[str]:
    """Topic names as the client must reconstruct them, checking each alias against the limit."""
    aliases: dict[int, str] = {}
    topics = []
    for message in messages:
        (alias,) = message.props.get(raw.TOPIC_ALIAS, [None])
        if alias is not None:
            assert 1 <= alias <= alias_maximum, f"alias {alias} outside 1..{alias_maximum} [MQTT-3.3.2-11]"
            if message.topic:
                aliases[alias] = message.topic
            assert alias in aliases, f"alias {alias} used before being set"
        else:
            assert message.topic, "empty topic name without an alias"
        topics.append(message.topic or aliases[alias])
    return topics


def test_broker_assigns_topic_aliases_within_the_clients_maximum(broker_under_test, paho):
    """[MQTT-3.3.2-10]/[MQTT-3.3.2-11] the server may send aliases up to the client's Topic Alias Maximum (2);
    issue 2 asks it to use them; the topics the client reconstructs are the published ones."""
    root = unique_id("raw5/alias-out")
    client, _ = connect(broker_under_test, props=((raw.TOPIC_ALIAS_MAXIMUM, 2),))
    with client:
        subscribe(client, f"{root}/#", 0)
        published = [f"{root}/{name}" for name in "abcabcabc"]
        publisher = paho()
        for topic in published:
            publisher.publish(topic, b"reading", qos=1)
        messages = [raw.parse_publish(client.expect(raw.PUBLISH)) for _ in published]
    assert resolve_aliases(messages, 2) == published
    assert any(raw.TOPIC_ALIAS in message.props for message in messages), "the broker used no topic alias"


def test_no_topic_alias_sent_to_a_client_that_allows_none(broker_under_test, paho):
    """[MQTT-3.1.2-27] Topic Alias Maximum absent: the server sends every topic name in full."""
    topic = unique_id("raw5/no-alias")
    client, _ = connect(broker_under_test)
    with client:
        subscribe(client, topic, 0)
        publisher = paho()
        for _ in range(4):
            publisher.publish(topic, b"same topic", qos=1)
        messages = [raw.parse_publish(client.expect(raw.PUBLISH)) for _ in range(4)]
    assert [(m.topic, raw.TOPIC_ALIAS in m.props) for m in messages] == [(topic, False)] * 4


def test_broker_respects_the_clients_receive_maximum(broker_under_test, paho):
    """[MQTT-3.3.4-9] the server sends no more unacknowledged QoS 1/2 PUBLISH packets than the client's
    Receive Maximum (2); each PUBACK lets one more through; [MQTT-4.6.0-6] order is kept."""
    topic = unique_id("raw5/receive-max")
    client, _ = connect(broker_under_test, props=((raw.RECEIVE_MAXIMUM, 2),))
    with client:
        subscribe(client, topic, 1)
        publisher = paho()
        for number in range(6):
            publisher.publish(topic, str(number).encode(), qos=1)
        outstanding = [raw.parse_publish(client.expect(raw.PUBLISH)) for _ in range(2)]
        assert client.is_silent(0.5), "a third PUBLISH arrived before any PUBACK"
        delivered = []
        for _ in range(6):
            acked = outstanding.pop(0)
            delivered.append(acked.payload)
            client.send(raw.ack(raw.PUBACK, acked.packet_id))
            if len(delivered) + len(outstanding) < 6:
                outstanding.append(raw.parse_publish(client.expect(raw.PUBLISH)))
            assert len(outstanding) <= 2
    assert delivered == [str(number).encode() for number in range(6)]


def test_no_reason_string_when_problem_information_is_not_requested(broker_under_test):
    """[MQTT-3.1.2-29] Request Problem Information = 0: no Reason String or User Property on any packet but
    PUBLISH, CONNACK and DISCONNECT. Checked on a SUBACK refusing an
    invalid filter ([MQTT-4.7.1-1], 0x8F)."""
    client, _ = connect(broker_under_test, props=((raw.REQUEST_PROBLEM_INFO, 0),))
    with client:
        client.send(raw.subscribe(3, [("ok/filter", 1), ("bad/#/filter", 1)]))
        answer = client.read(timeout=5.0)
        if answer is None or answer.kind == raw.DISCONNECT:
            return  # closing the connection on an invalid filter is also allowed (4.13)
        assert answer.kind == raw.SUBACK
        properties, offset = raw.read_properties(answer.body, 2)
        assert raw.REASON_STRING not in properties
        assert raw.USER_PROPERTY not in properties
        assert answer.body[offset:] == bytes([1, 0x8F])


def test_unsuback_reports_each_filter(broker_under_test):
    """3.11.3: UNSUBACK carries one reason code per filter, in order [MQTT-3.11.3-1]: 0x00 for a deleted
    subscription, 0x11 (No subscription existed) for a filter the client never subscribed."""
    topic = unique_id("raw5/unsub")
    client, _ = connect(broker_under_test)
    with client:
        subscribe(client, topic, 1)
        body = b"\x00\x09" + raw.properties() + raw.utf8(topic) + raw.utf8(topic + "/never")
        client.send(raw.packet((raw.UNSUBSCRIBE << 4) | 0x02, body))
        unsuback = client.expect(raw.UNSUBACK)
        assert unsuback.body[:2] == b"\x00\x09"  # [MQTT-3.11.2-1] same packet identifier
        _, offset = raw.read_properties(unsuback.body, 2)
        assert unsuback.body[offset:] == bytes([0x00, 0x11])
