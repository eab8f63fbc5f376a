"""paho-mqtt 2.x: topic names at their limits, case, spaces and Unicode; the client ids that must work."""

from __future__ import annotations

import pytest

from tests.interop.brokers import unique_id

pytestmark = pytest.mark.interop

VERSIONS = [pytest.param(4, id="v311"), pytest.param(5, id="v5")]


@pytest.mark.parametrize("version", VERSIONS)
def test_longest_topic_name_is_routed(paho, version):
    """[MQTT-4.7.3-3] topic names may encode to 65,535 bytes: one that long is subscribed to and delivered."""
    prefix = unique_id("topics/long") + "/"
    topic = prefix + "x" * (65_535 - len(prefix))
    subscriber = paho(version=version)
    assert subscriber.subscribe(topic, 1) == [1]
    paho(version=version).publish(topic, b"long", qos=1)
    (message,) = subscriber.receive(1)
    assert (len(message.topic), message.payload) == (65_535, b"long")


@pytest.mark.parametrize("version", VERSIONS)
def test_topics_are_case_sensitive_and_allow_spaces_and_unicode(paho, version):
    """4.7.3: topic names are case sensitive, may contain spaces, and are UTF-8 [MQTT-4.7.3-1 non-empty]."""
    root = unique_id("topics/case")
    subscriber = paho(version=version)
    subscriber.subscribe(f"{root}/Living Room/温度", 1)
    publisher = paho(version=version)
    publisher.publish(f"{root}/living room/温度", b"other case", qos=1)
    publisher.publish(f"{root}/Living Room/温度", b"exact", qos=1)
    (message,) = subscriber.receive(1)
    assert (message.topic, message.payload) == (f"{root}/Living Room/温度", b"exact")
    subscriber.receive_none(0.3)


@pytest.mark.parametrize("version", VERSIONS)
def test_empty_levels_are_distinct_levels(paho, version):
    """4.7.1: `a//b` and `/a` have empty levels: `+` matches an empty level, and `/a` differs from `a`."""
    root = unique_id("topics-empty")
    subscriber = paho(version=version)
    subscriber.subscribe(f"{root}/+/b", 1)
    subscriber.subscribe(f"/{root}", 1)
    publisher = paho(version=version)
    for topic in (f"{root}//b", root, f"/{root}"):
        publisher.publish(topic, topic.encode(), qos=1)
    assert sorted(m.topic for m in subscriber.receive(2)) == sorted([f"{root}//b", f"/{root}"])
    subscriber.receive_none(0.3)


@pytest.mark.parametrize("version", VERSIONS)
def test_23_character_alphanumeric_client_id_is_accepted(paho, version):
    """[MQTT-3.1.3-5] the server must allow client ids of 1 to 23 characters from [0-9a-zA-Z]."""
    client_id = ("Z9" + unique_id("a").replace("-", ""))[:23].ljust(23, "q")
    client = paho(client_id, version=version)
    assert client.client.is_connected()
