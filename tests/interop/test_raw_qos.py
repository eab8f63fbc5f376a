"""QoS 2 exactly-once from the publishing side, checked with hand-built packets (3.1.1 and 5.0)."""

from __future__ import annotations

import pytest

from tests.interop import raw
from tests.interop.brokers import unique_id

pytestmark = pytest.mark.interop

VERSIONS = [pytest.param(4, id="v311"), pytest.param(5, id="v5")]


def connected(broker, version: int) -> raw.RawClient:
    client, connack = raw.connect_raw(broker.host, broker.port, unique_id("qos"), version=version)
    assert raw.reason_code(connack) == 0
    return client


def subscribed(broker, topic: str, version: int) -> raw.RawClient:
    client = connected(broker, version)
    client.send(raw.subscribe(1, [(topic, 2)], version=version))
    client.expect(raw.SUBACK)
    return client


def connect_persistent(broker, client_id: str, version: int) -> raw.RawClient:
    session = ((raw.SESSION_EXPIRY, 60),) if version == 5 else ()
    client, _ = raw.connect_raw(
        broker.host, broker.port, client_id, version=version, clean=False, props=session
    )
    return client


@pytest.mark.parametrize("version", VERSIONS)
def test_resent_qos2_publish_is_delivered_once(broker_under_test, version):
    """A QoS 2 PUBLISH whose PUBREC was lost with the connection is resent with DUP=1 on reconnect
    [MQTT-4.4.0-1]; the server answers PUBREC again and must not deliver a duplicate (3.1.1 [MQTT-4.3.3-2],
    5.0 4.3.3 Method A/B); PUBREL then completes it."""
    topic, client_id = unique_id("qos/dup"), unique_id("qos-dup")
    subscriber = subscribed(broker_under_test, topic, version)
    with subscriber:
        with connect_persistent(broker_under_test, client_id, version) as publisher:
            publisher.send(raw.publish(topic, b"once", qos=2, packet_id=42, version=version))
            publisher.expect(raw.PUBREC)  # the broker owns the message; this PUBREC is "lost" with the link
        with connect_persistent(broker_under_test, client_id, version) as publisher:
            publisher.send(raw.publish(topic, b"once", qos=2, dup=True, packet_id=42, version=version))
            assert publisher.expect(raw.PUBREC).body[:2] == b"\x00\x2a"
            publisher.send(raw.ack(raw.PUBREL, 42))
            assert publisher.expect(raw.PUBCOMP).body[:2] == b"\x00\x2a"
        message = raw.parse_publish(subscriber.expect(raw.PUBLISH), version)
        assert message.payload == b"once"
        subscriber.send(raw.ack(raw.PUBREC, message.packet_id))
        subscriber.expect(raw.PUBREL)
        subscriber.send(raw.ack(raw.PUBCOMP, message.packet_id))
        assert subscriber.is_silent(0.4), "a duplicate of the QoS 2 message was delivered"


@pytest.mark.parametrize("version", VERSIONS)
def test_packet_id_is_reusable_after_pubcomp(broker_under_test, version):
    """[MQTT-4.3.3-3] (3.1.1) after PUBCOMP the packet id is free: a new PUBLISH with it is a new message."""
    topic = unique_id("qos/reuse")
    with (
        subscribed(broker_under_test, topic, version) as subscriber,
        connected(broker_under_test, version) as publisher,
    ):
        for payload in (b"first", b"second"):
            publisher.send(raw.publish(topic, payload, qos=2, packet_id=7, version=version))
            publisher.expect(raw.PUBREC)
            publisher.send(raw.ack(raw.PUBREL, 7))
            publisher.expect(raw.PUBCOMP)
            message = raw.parse_publish(subscriber.expect(raw.PUBLISH), version)
            assert message.payload == payload
            subscriber.send(raw.ack(raw.PUBREC, message.packet_id))
            subscriber.expect(raw.PUBREL)
            subscriber.send(raw.ack(raw.PUBCOMP, message.packet_id))


@pytest.mark.parametrize("version", VERSIONS)
def test_pubrel_for_unknown_packet_id_gets_pubcomp(broker_under_test, version):
    """3.1.1 [MQTT-4.3.3-2]/[MQTT-4.4.0-1]: a PUBREL is always answered with PUBCOMP; MQTT 5 may give reason
    0x92 (Packet Identifier not found). The connection stays usable."""
    with connected(broker_under_test, version) as client:
        client.send(raw.ack(raw.PUBREL, 999))
        pubcomp = client.expect(raw.PUBCOMP)
        assert pubcomp.body[:2] == (999).to_bytes(2, "big")
        if version == 5 and len(pubcomp.body) > 2:
            assert pubcomp.body[2] in (0x00, 0x92)
        client.send(raw.packet(raw.PINGREQ << 4, b""))
        client.expect(raw.PINGRESP)
