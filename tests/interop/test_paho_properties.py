"""paho-mqtt 2.x, MQTT 5: message properties forwarded, message expiry, maximum packet size."""

from __future__ import annotations

import time

import pytest

from tests.interop.brokers import unique_id

pytestmark = pytest.mark.interop

PERSISTENT = {"SessionExpiryInterval": 60}


def test_user_properties_forwarded_in_order(paho):
    """[MQTT-3.3.2-17] user properties are forwarded unaltered and [MQTT-3.3.2-18] in the same order,
    duplicates included."""
    topic = unique_id("props/user")
    subscriber = paho()
    subscriber.subscribe(topic, 1)
    pairs = [("b", "2"), ("a", "1"), ("b", "3"), ("unicode ✓", "värde")]
    paho().publish(topic, b"x", qos=1, UserProperty=pairs)
    (message,) = subscriber.receive(1)
    assert message.properties.UserProperty == pairs


def test_application_properties_forwarded_unaltered(paho):
    """[MQTT-3.3.2-4] Payload Format Indicator, [MQTT-3.3.2-20] Content Type, [MQTT-3.3.2-15] Response Topic
    and [MQTT-3.3.2-16] Correlation Data reach the subscriber unchanged."""
    topic = unique_id("props/app")
    subscriber = paho()
    subscriber.subscribe(topic, 2)
    paho().publish(
        topic,
        "21.5 °C".encode(),
        qos=2,
        PayloadFormatIndicator=1,
        ContentType="text/plain; charset=utf-8",
        ResponseTopic="reply/here",
        CorrelationData=b"\x00\x01request-7\xff",
    )
    (message,) = subscriber.receive(1)
    received = message.properties
    assert received.PayloadFormatIndicator == 1
    assert received.ContentType == "text/plain; charset=utf-8"
    assert received.ResponseTopic == "reply/here"
    assert received.CorrelationData == b"\x00\x01request-7\xff"


def test_retained_message_keeps_its_properties(paho):
    """[MQTT-3.3.2-17]/[MQTT-3.3.2-18] properties of a retained message are sent to later subscribers too."""
    topic = unique_id("props/retained")
    paho().publish(topic, b"1", qos=1, retain=True, ContentType="text/plain", UserProperty=[("unit", "lx")])
    subscriber = paho()
    subscriber.subscribe(topic, 1)
    (message,) = subscriber.receive(1)
    assert (message.properties.ContentType, message.properties.UserProperty) == (
        "text/plain",
        [("unit", "lx")],
    )


def test_message_expiry_forwarded_to_live_subscriber(paho):
    """[MQTT-3.3.2-6] the forwarded Message Expiry Interval is the received value minus the time waited."""
    topic = unique_id("props/expiry-live")
    subscriber = paho()
    subscriber.subscribe(topic, 1)
    paho().publish(topic, b"fresh", qos=1, MessageExpiryInterval=60)
    (message,) = subscriber.receive(1)
    assert 58 <= message.properties.MessageExpiryInterval <= 60


def test_message_expiry_counts_down_while_queued(paho):
    """[MQTT-3.3.2-6] a message queued for an offline session is sent with the remaining expiry time."""
    client_id, topic = unique_id("expiry-queue"), unique_id("props/expiry-queue")
    subscriber = paho(client_id, clean=False, connect_props=PERSISTENT)
    subscriber.subscribe(topic, 1)
    subscriber.disconnect()
    paho().publish(topic, b"waiting", qos=1, MessageExpiryInterval=30)
    time.sleep(2.2)
    again = paho(client_id, clean=False, connect_props=PERSISTENT)
    (message,) = again.receive(1)
    assert message.payload == b"waiting"
    assert message.properties.MessageExpiryInterval <= 28


def test_expired_queued_message_is_dropped(paho):
    """[MQTT-3.3.2-5] once the Message Expiry Interval (1 s) has passed, the queued message is not delivered;
    a message without expiry queued alongside still is."""
    client_id, topic = unique_id("expired"), unique_id("props/expired")
    subscriber = paho(client_id, clean=False, connect_props=PERSISTENT)
    subscriber.subscribe(topic, 1)
    subscriber.disconnect()
    publisher = paho()
    publisher.publish(topic, b"short-lived", qos=1, MessageExpiryInterval=1)
    publisher.publish(topic, b"lasting", qos=1)
    time.sleep(2.2)
    again = paho(client_id, clean=False, connect_props=PERSISTENT)
    assert [m.payload for m in again.receive(1)] == [b"lasting"]
    again.receive_none(0.3)


def test_retained_message_expires(paho):
    """[MQTT-3.3.2-5] a retained message past its expiry is no longer sent to new subscribers;
    one still valid is sent with its remaining time [MQTT-3.3.2-6]."""
    root = unique_id("props/retained-expiry")
    publisher = paho()
    publisher.publish(f"{root}/short", b"gone soon", qos=1, retain=True, MessageExpiryInterval=1)
    publisher.publish(f"{root}/long", b"stays", qos=1, retain=True, MessageExpiryInterval=60)
    time.sleep(2.2)
    subscriber = paho()
    subscriber.subscribe(f"{root}/#", 1)
    (message,) = subscriber.receive(1)
    assert message.payload == b"stays"
    assert message.properties.MessageExpiryInterval <= 58
    subscriber.receive_none(0.3)


@pytest.mark.parametrize("qos", [0, 1])
def test_broker_never_sends_more_than_the_clients_maximum_packet_size(paho, qos):
    """[MQTT-3.1.2-24] the server must not send a packet larger than the client's Maximum Packet Size (here
    256 bytes); [MQTT-3.1.2-25] such a message is discarded for that client only, without disconnecting."""
    topic = unique_id("props/max-packet")
    small_client = paho(connect_props={"MaximumPacketSize": 256})
    small_client.subscribe(topic, qos)
    big_client = paho()
    big_client.subscribe(topic, qos)
    publisher = paho()
    publisher.publish(topic, b"x" * 1000, qos=qos)
    publisher.publish(topic, b"small", qos=qos)
    assert [m.payload for m in small_client.receive(1)] == [b"small"]
    assert [len(m.payload) for m in big_client.receive(2)] == [1000, 5]
    assert small_client.client.is_connected()
