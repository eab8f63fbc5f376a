"""paho-mqtt 2.x (MQTT 3.1, 3.1.1 and 5.0, TCP and WebSockets): pub/sub at every QoS, retained messages."""

from __future__ import annotations

import pytest

from tests.interop.brokers import unique_id

pytestmark = pytest.mark.interop

VERSIONS = [pytest.param(4, id="v311"), pytest.param(5, id="v5")]
WITH_MQTT_31 = [pytest.param(3, id="v31"), *VERSIONS]  # protocol name "MQIsdp", level 3
TRANSPORTS = [pytest.param("tcp", id="tcp"), pytest.param("websockets", id="ws")]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("version", WITH_MQTT_31)
@pytest.mark.parametrize("qos", [0, 1, 2])
def test_publish_reaches_subscriber_at_each_qos(paho, version, transport, qos):
    """[MQTT-3.3.5-1] min(published, granted) QoS; [MQTT-3.8.4-1] SUBACK; [MQTT-4.3.3-*] QoS 2 flow."""
    subscriber = paho(version=version, transport=transport)
    publisher = paho(version=version, transport=transport)
    topic = unique_id("basics/qos")
    assert subscriber.subscribe(topic, qos) == [qos]
    for number in range(3):
        publisher.publish(topic, f"message {number}".encode(), qos=qos)
    received = subscriber.receive(3)
    assert [m.payload for m in received] == [b"message 0", b"message 1", b"message 2"]  # [MQTT-4.6.0-5] order
    assert {m.qos for m in received} == {qos}
    assert not any(m.retain for m in received)  # [MQTT-3.3.1-9] live messages are not retained
    subscriber.receive_none(0.2)  # exactly once for QoS 2 [MQTT-4.3.3-*]: no duplicates


@pytest.mark.parametrize("version", VERSIONS)
def test_delivered_qos_is_the_lower_of_published_and_granted(paho, version):
    """[MQTT-3.8.4-6] granted QoS; messages are downgraded to the subscription's QoS [MQTT-3.3.5-1]."""
    subscriber = paho(version=version)
    publisher = paho(version=version)
    topic = unique_id("basics/downgrade")
    subscriber.subscribe(topic, 1)
    publisher.publish(topic, b"sent at 2", qos=2)
    publisher.publish(topic, b"sent at 0", qos=0)
    first, second = subscriber.receive(2)
    assert (first.payload, first.qos) == (b"sent at 2", 1)
    assert (second.payload, second.qos) == (b"sent at 0", 0)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("version", VERSIONS)
def test_retained_message_is_stored_delivered_and_cleared(paho, version, transport):
    """3.1.1 numbering: [MQTT-3.3.1-5] stored; [MQTT-3.3.1-6] sent to new subscribers with RETAIN=1
    [MQTT-3.3.1-8]; [MQTT-3.3.1-10]/[MQTT-3.3.1-11] an empty retained payload deletes it and is not stored."""
    publisher = paho(version=version, transport=transport)
    topic = unique_id("basics/retained")
    publisher.publish(topic, b"21.5", qos=1, retain=True)

    first = paho(version=version, transport=transport)
    first.subscribe(topic, 1)
    (message,) = first.receive(1)
    assert (message.payload, message.retain, message.qos) == (b"21.5", True, 1)

    publisher.publish(topic, b"", qos=1, retain=True)
    (deletion,) = first.receive(1)  # live delivery of the empty message to an existing subscriber
    assert deletion.payload == b""

    second = paho(version=version, transport=transport)
    second.subscribe(topic, 1)
    second.receive_none(0.5)


@pytest.mark.parametrize("version", VERSIONS)
def test_retained_message_replaced_by_newer_one(paho, version):
    """[MQTT-3.3.1-5] a new retained message replaces the one stored for that topic."""
    publisher = paho(version=version)
    topic = unique_id("basics/replace")
    publisher.publish(topic, b"old", qos=1, retain=True)
    publisher.publish(topic, b"new", qos=1, retain=True)
    subscriber = paho(version=version)
    subscriber.subscribe(topic, 0)
    (message,) = subscriber.receive(1)
    assert (message.payload, message.retain) == (b"new", True)
    subscriber.receive_none(0.3)


@pytest.mark.parametrize("version", VERSIONS)
def test_retained_messages_match_wildcards_at_the_lower_qos(paho, version):
    """3.1.1 [MQTT-3.3.1-6]: a new subscription gets every matching retained message, at the lower of the
    stored and granted QoS [MQTT-3.3.5-1]; other subtrees and deeper levels are not included."""
    root = unique_id("basics/retained-wild")
    publisher = paho(version=version)
    for leaf, qos in (("a", 0), ("b", 1), ("c", 2), ("d/deeper", 2)):
        publisher.publish(f"{root}/{leaf}", leaf.encode(), qos=qos, retain=True)
    publisher.publish(f"{root}-sibling/a", b"elsewhere", qos=1, retain=True)
    subscriber = paho(version=version)
    subscriber.subscribe(f"{root}/+", 1)
    received = sorted((m.topic, m.qos, m.retain) for m in subscriber.receive(3))
    assert received == [(f"{root}/a", 0, True), (f"{root}/b", 1, True), (f"{root}/c", 1, True)]
    subscriber.receive_none(0.3)


@pytest.mark.parametrize("version", VERSIONS)
def test_wildcard_filters_match_per_spec(paho, version):
    """[MQTT-4.7.1-2] '#' matches parent and children; [MQTT-4.7.1-3] '+' matches exactly one level."""
    root = unique_id("basics/wild")
    subscriber = paho(version=version)
    subscriber.subscribe(f"{root}/+/temp", 0)
    subscriber.subscribe(f"{root}/kitchen/#", 0)
    publisher = paho(version=version)
    for topic in (
        f"{root}/hall/temp",
        f"{root}/kitchen",
        f"{root}/a/b/temp",
        f"{root}/kitchen/x/y",
        f"{root}/hall",
    ):
        publisher.publish(topic, topic.encode(), qos=1)
    received = sorted(m.topic for m in subscriber.receive(3))
    assert received == sorted([f"{root}/hall/temp", f"{root}/kitchen", f"{root}/kitchen/x/y"])
    subscriber.receive_none(0.3)


@pytest.mark.parametrize("version", VERSIONS)
def test_unsubscribe_stops_delivery(paho, version):
    """[MQTT-3.10.4-1] the subscription is deleted; [MQTT-3.10.4-4] UNSUBACK is sent."""
    subscriber = paho(version=version)
    publisher = paho(version=version)
    topic = unique_id("basics/unsub")
    subscriber.subscribe(topic, 1)
    publisher.publish(topic, b"before", qos=1)
    assert subscriber.receive(1)[0].payload == b"before"
    subscriber.unsubscribe(topic)
    publisher.publish(topic, b"after", qos=1)
    subscriber.receive_none(0.5)


@pytest.mark.parametrize("version", VERSIONS)
def test_many_messages_arrive_in_order(paho, version):
    """[MQTT-4.6.0-5]/[MQTT-4.6.0-6] ordered topics: messages from one client arrive in the order sent."""
    subscriber = paho(version=version)
    publisher = paho(version=version)
    topic = unique_id("basics/order")
    subscriber.subscribe(topic, 1)
    for number in range(200):
        publisher.client.publish(topic, str(number).encode(), qos=1)
    received = subscriber.receive(200)
    assert [int(m.payload) for m in received] == list(range(200))


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_payload_sizes_across_remaining_length_boundaries(paho, transport):
    """1.5.5 / 2.1.4: Remaining Length takes 1, 2, 3 bytes around 127/128, 16383/16384 and beyond; a
    zero-length payload is valid (3.3.3); a 300 kB message spans many WebSocket frames [MQTT-6.0.0-2]."""
    topic = unique_id("basics/sizes")
    subscriber = paho(transport=transport)
    subscriber.subscribe(topic, 1)
    publisher = paho(transport=transport)
    overhead = 2 + len(topic) + 2 + 1  # topic length + name, packet id, empty v5 property block
    sizes = [0, 127 - overhead, 128 - overhead, 16383 - overhead, 16384 - overhead, 300_000]
    for size in sizes:
        publisher.publish(topic, bytes(index % 251 for index in range(size)), qos=1)
    received = subscriber.receive(len(sizes))
    assert [len(m.payload) for m in received] == sizes
    assert all(m.payload == bytes(index % 251 for index in range(len(m.payload))) for m in received)
