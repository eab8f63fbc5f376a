"""PUBLISH in and out: QoS flows, exactly-once, properties, aliases, expiry (MQTT 5.0 section 3.3, 4.3)."""

from __future__ import annotations

import pytest

from broker.codec import ReasonCode
from broker.protocol.limits import ProtocolLimits
from tests.broker.protocol.pair import (
    V5,
    V311,
    Disconnect,
    Hub,
    Properties,
    PubAck,
    PubComp,
    Publish,
    PubRec,
    PubRel,
)


@pytest.mark.parametrize("version", [V311, V5])
@pytest.mark.parametrize("qos", [0, 1, 2])
def test_publish_is_acknowledged_and_delivered(version, qos):
    hub = Hub()
    subscriber = hub.connected("sub", version)
    subscriber.subscribe("t", qos=2)
    publisher = hub.connected("pub", version)
    publisher.publish("t", b"hello", qos=qos, packet_id=7 if qos else None)
    acks = publisher.received()
    expected = {0: [], 1: [PubAck], 2: [PubRec]}[qos]
    assert [type(a) for a in acks] == expected  # [MQTT-4.3.2-4] PUBACK, [MQTT-4.3.3-8] PUBREC
    assert all(a.packet_id == 7 for a in acks)
    [delivered] = subscriber.received_publishes()
    assert (delivered.topic, delivered.payload, delivered.qos) == ("t", b"hello", qos)
    assert (delivered.packet_id is None) == (qos == 0)


def test_qos2_is_delivered_exactly_once_despite_a_resent_publish():
    """[MQTT-4.3.3-10] until PUBREL, a PUBLISH with the same packet id is not delivered again."""
    hub = Hub()
    subscriber = hub.connected("sub", V5)
    subscriber.subscribe("t", qos=2)
    publisher = hub.connected("pub", V5)
    publisher.publish("t", b"once", qos=2, packet_id=3)
    publisher.send(Publish("t", b"once", 2, dup=True, packet_id=3))
    assert [type(p) for p in publisher.received()] == [PubRec, PubRec]
    publisher.send(PubRel(3))
    [complete] = publisher.received()
    assert isinstance(complete, PubComp) and complete.reason_code == 0
    assert len(subscriber.received_publishes()) == 1
    publisher.send(PubRel(3))
    assert publisher.received()[0].reason_code == ReasonCode.PACKET_IDENTIFIER_NOT_FOUND


def test_outgoing_qos2_handshake_pubrec_pubrel_pubcomp():
    """[MQTT-4.3.3-1..5] the broker as sender: PUBLISH, PUBREC in, PUBREL out, PUBCOMP in."""
    hub = Hub()
    subscriber = hub.connected("sub", V311)
    subscriber.subscribe("t", qos=2)
    hub.connected("pub", V311).publish("t", b"x", qos=2)
    [publish] = subscriber.received_publishes()
    subscriber.send(PubRec(publish.packet_id))
    [release] = subscriber.received()
    assert isinstance(release, PubRel) and release.packet_id == publish.packet_id
    assert subscriber.connection.session.inflight[publish.packet_id].released
    subscriber.send(PubComp(publish.packet_id))
    assert not subscriber.connection.session.inflight


def test_v5_puback_says_no_matching_subscribers():
    hub = Hub()
    publisher = hub.connected("pub", V5)
    publisher.publish("nobody/listens", qos=1)
    assert publisher.received()[0].reason_code == ReasonCode.NO_MATCHING_SUBSCRIBERS


def test_properties_are_forwarded_unchanged_with_user_property_order_kept():
    """[MQTT-3.3.2-15..20] content type, response topic, correlation data; [MQTT-3.3.2-18] user properties."""
    hub = Hub()
    subscriber = hub.connected("sub", V5)
    subscriber.subscribe("req")
    properties = Properties(
        payload_format_indicator=1,
        content_type="text/plain",
        response_topic="resp/1",
        correlation_data=b"\x00\x01",
        user_properties=[("b", "2"), ("a", "1"), ("b", "3")],
    )
    hub.connected("pub", V5).publish("req", b"ok", properties=properties)
    [delivered] = subscriber.received_publishes()
    assert delivered.properties == properties


def test_v311_subscriber_gets_no_properties_from_a_v5_publisher():
    hub = Hub()
    subscriber = hub.connected("sub", V311)
    subscriber.subscribe("t")
    hub.connected("pub", V5).publish("t", properties=Properties(user_properties=[("k", "v")]))
    assert subscriber.received_publishes()[0].properties.is_empty()


def test_invalid_utf8_payload_with_format_indicator_is_refused_with_0x99():
    """[MQTT-3.3.2-4] PUBACK/PUBREC 0x99, not delivered; QoS 0 gets DISCONNECT 0x99."""
    hub = Hub()
    subscriber = hub.connected("sub", V5)
    subscriber.subscribe("t")
    publisher = hub.connected("pub", V5)
    bad = Properties(payload_format_indicator=1)
    publisher.publish("t", b"\xff\xfe", qos=1, properties=bad)
    assert publisher.received()[0].reason_code == ReasonCode.PAYLOAD_FORMAT_INVALID
    assert subscriber.received_publishes() == []
    publisher.publish("t", b"\xff", qos=0, properties=bad)
    [disconnect] = publisher.received()
    assert isinstance(disconnect, Disconnect) and disconnect.reason_code == ReasonCode.PAYLOAD_FORMAT_INVALID


def test_subscription_identifier_in_a_client_publish_disconnects_with_0x82():
    """[MQTT-3.3.4-6] a PUBLISH from a client MUST NOT carry a Subscription Identifier: DISCONNECT 0x82,
    and the message is not delivered."""
    hub = Hub()
    subscriber = hub.connected("sub", V5)
    subscriber.subscribe("t")
    publisher = hub.connected("pub", V5)
    publisher.publish("t", qos=1, properties=Properties(subscription_identifiers=[7]))
    [disconnect] = publisher.received()
    assert isinstance(disconnect, Disconnect) and disconnect.reason_code == ReasonCode.PROTOCOL_ERROR
    assert publisher.is_closed and subscriber.received_publishes() == []


def test_incoming_topic_alias_is_learned_and_applied():
    """[MQTT-3.3.2-12] an alias set with a topic applies to later PUBLISH with an empty topic."""
    hub = Hub()
    subscriber = hub.connected("sub", V5)
    subscriber.subscribe("long/topic/name")
    publisher = hub.connected("pub", V5)
    publisher.publish("long/topic/name", b"1", properties=Properties(topic_alias=1))
    publisher.publish("", b"2", properties=Properties(topic_alias=1))
    assert [p.payload for p in subscriber.received_publishes()] == [b"1", b"2"]


@pytest.mark.parametrize(
    ("topic", "alias", "reason"),
    [("t", 11, ReasonCode.TOPIC_ALIAS_INVALID), ("", 2, ReasonCode.PROTOCOL_ERROR)],
)
def test_bad_topic_alias_disconnects(topic, alias, reason):
    """[MQTT-3.3.2-9] alias above the broker's Topic Alias Maximum: 0x94; unknown alias: 0x82."""
    hub = Hub()
    publisher = hub.connected("pub", V5)
    publisher.publish(topic, properties=Properties(topic_alias=alias))
    [disconnect] = publisher.received()
    assert disconnect.reason_code == reason and publisher.is_closed


def test_broker_assigns_outgoing_topic_aliases_within_the_client_maximum():
    """[MQTT-3.3.2-11]: never an alias above the client's Topic Alias Maximum."""
    hub = Hub()
    subscriber = hub.connected("sub", V5, properties=Properties(topic_alias_maximum=1))
    subscriber.subscribe("#")
    publisher = hub.connected("pub", V5)
    for topic in ("a", "a", "b"):
        publisher.publish(topic)
    first, second, third = subscriber.received_publishes()
    assert (first.topic, first.properties.topic_alias) == ("a", 1)
    assert (second.topic, second.properties.topic_alias) == ("", 1)
    assert (third.topic, third.properties.topic_alias) == ("b", None)


def test_message_expiry_counts_down_while_queued_and_expired_messages_are_dropped():
    """[MQTT-3.3.2-5] expired messages are not delivered; [MQTT-3.3.2-6] the remaining time is sent."""
    hub = Hub()
    subscriber = hub.connected("sub", V5, clean=False, properties=Properties(session_expiry_interval=300))
    subscriber.subscribe("t", qos=1)
    subscriber.disconnect()
    publisher = hub.connected("pub", V5)
    publisher.publish("t", b"short", qos=1, properties=Properties(message_expiry_interval=5))
    publisher.publish("t", b"long", qos=1, properties=Properties(message_expiry_interval=60), packet_id=2)
    hub.advance(10)
    back = hub.client(V5)
    back.connect("sub", clean=False, properties=Properties(session_expiry_interval=300))
    [delivered] = back.received_publishes()
    assert delivered.payload == b"long"
    assert delivered.properties.message_expiry_interval == 50


def test_receive_maximum_exceeded_disconnects_with_0x93():
    """[MQTT-3.3.4-7] more unreleased QoS 2 messages than the broker's Receive Maximum: DISCONNECT 0x93."""
    hub = Hub(limits=ProtocolLimits(receive_maximum=2))
    publisher = hub.connected("pub", V5)
    for packet_id in (1, 2, 3):
        publisher.publish("t", qos=2, packet_id=packet_id)
    packets = publisher.received()
    assert [type(p) for p in packets] == [PubRec, PubRec, Disconnect]
    assert packets[-1].reason_code == ReasonCode.RECEIVE_MAXIMUM_EXCEEDED


def test_oversize_input_disconnects_with_0x95():
    """MQTT 5 3.2.2.3.6: a packet above the broker's Maximum Packet Size gets DISCONNECT 0x95."""
    hub = Hub(limits=ProtocolLimits(max_packet_size=128))
    publisher = hub.connected("pub", V5)
    publisher.publish("t", b"x" * 200)
    [disconnect] = publisher.received()
    assert disconnect.reason_code == ReasonCode.PACKET_TOO_LARGE and publisher.is_closed


def test_wildcard_in_publish_topic_closes_the_connection():
    """[MQTT-3.3.2-2]"""
    hub = Hub()
    publisher = hub.connected("pub", V311)
    publisher.send_bytes(b"\x30\x05\x00\x03a/#")
    assert publisher.is_closed and publisher.received() == []


@pytest.mark.parametrize("version", [V311, V5])
def test_successful_puback_is_the_four_byte_form(version):
    """PUBACK for a delivered QoS 1 message: type 4, length 2, the packet id, no reason code or
    properties (3.1.1 section 3.4; MQTT 5 omits a success code and empty properties [MQTT5 3.4.2.1])."""
    hub = Hub()
    hub.connected("sub", version).subscribe("t", qos=1)
    publisher = hub.connected("pub", version)
    publisher.send(Publish("t", b"x", 1, packet_id=0x1234))
    assert publisher.connection.take_output() == bytes.fromhex("40 02 1234")


def test_plain_qos0_from_311_is_forwarded_as_received(monkeypatch):
    """A QoS 0 PUBLISH from 3.1.1 reaches 3.1.1 subscribers as its own bytes, with no re-encode,
    and those bytes equal what the encoder makes."""
    from broker.codec import encode
    from broker.codec.publish import encode_plain_publish
    from broker.protocol import outgoing

    expected = encode_plain_publish("room/t", b"21.5")
    hub = Hub()
    subscriber = hub.connected("sub", V311)
    subscriber.subscribe("room/#")
    publisher = hub.connected("pub", V311)

    def no_encoding(*args):
        raise AssertionError("a plain QoS 0 3.1.1 PUBLISH must be forwarded, not re-encoded")

    monkeypatch.setattr(outgoing, "encode_plain_publish", no_encoding)
    sent = encode(Publish("room/t", b"21.5"), V311)
    publisher.send_bytes(sent)
    assert subscriber.connection.take_output() == sent == expected


def test_qos1_publish_to_a_qos0_subscription_is_re_encoded_as_qos0():
    """[MQTT-3.8.4-8] delivered at the granted QoS 0: never the incoming QoS 1 bytes."""
    hub = Hub()
    subscriber = hub.connected("sub", V311)
    subscriber.subscribe("t", qos=0)
    publisher = hub.connected("pub", V311)
    publisher.publish("t", b"v", qos=1)
    (packet,) = subscriber.received_publishes()
    assert packet.qos == 0 and packet.packet_id is None and packet.payload == b"v"
