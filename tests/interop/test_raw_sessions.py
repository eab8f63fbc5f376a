"""Session and keepalive behaviour that paho hides, checked with hand-built packets."""

from __future__ import annotations

import time

import pytest

from tests.interop import raw
from tests.interop.brokers import broker_process, unique_id

pytestmark = pytest.mark.interop

VERSIONS = [pytest.param(4, id="v311"), pytest.param(5, id="v5")]
PERSISTENT = ((raw.SESSION_EXPIRY, 60),)


def connect_persistent(broker, client_id: str, version: int) -> tuple[raw.RawClient, raw.Packet]:
    session = PERSISTENT if version == 5 else ()
    return raw.connect_raw(broker.host, broker.port, client_id, version=version, clean=False, props=session)


def subscribe(client: raw.RawClient, topic: str, qos: int, version: int) -> None:
    client.send(raw.subscribe(1, [(topic, qos)], version=version))
    suback = client.expect(raw.SUBACK)
    assert suback.body[-1] == qos


@pytest.mark.parametrize("version", VERSIONS)
def test_unacknowledged_qos1_is_resent_with_dup_on_reconnect(broker_under_test, version):
    """[MQTT-4.4.0-1] on reconnect with a kept session the server resends unacknowledged PUBLISH packets with
    their original packet identifiers; [MQTT-3.3.1-1] DUP is set on a redelivery."""
    client_id, topic = unique_id("redeliver"), unique_id("raw/redeliver")
    client, _ = connect_persistent(broker_under_test, client_id, version)
    subscribe(client, topic, 1, version)
    with raw.RawClient(broker_under_test.host, broker_under_test.port) as publisher:
        publisher.send(raw.connect(unique_id("pub"), version=version))
        publisher.expect(raw.CONNACK)
        publisher.send(raw.publish(topic, b"ack me", qos=1, packet_id=7, version=version))
        publisher.expect(raw.PUBACK)
    first = raw.parse_publish(client.expect(raw.PUBLISH), version)
    assert (first.payload, first.dup) == (b"ack me", False)
    client.close()  # no PUBACK

    again, connack = connect_persistent(broker_under_test, client_id, version)
    with again:
        assert connack.body[0] & 0x01, "Session Present must be 1 [MQTT-3.2.2-2]"
        resent = raw.parse_publish(again.expect(raw.PUBLISH), version)
        assert (resent.payload, resent.packet_id, resent.dup) == (b"ack me", first.packet_id, True)
        again.send(raw.ack(raw.PUBACK, resent.packet_id))


@pytest.mark.parametrize("version", VERSIONS)
def test_redelivery_keeps_the_original_order(broker_under_test, version):
    """[MQTT-4.6.0-1] unacknowledged messages are resent in their original order with DUP=1 [MQTT-3.3.1-1],
    and messages queued while the client was away follow them."""
    client_id, topic = unique_id("order"), unique_id("raw/order")
    client, _ = connect_persistent(broker_under_test, client_id, version)
    subscribe(client, topic, 1, version)
    with raw.RawClient(broker_under_test.host, broker_under_test.port) as publisher:
        publisher.send(raw.connect(unique_id("pub"), version=version))
        publisher.expect(raw.CONNACK)
        for number in range(5):
            if number == 3:  # the first three reach the client unacknowledged, then it goes away
                for _ in range(3):
                    client.expect(raw.PUBLISH)
                client.close()
            publisher.send(raw.publish(topic, b"%d" % number, qos=1, packet_id=number + 1, version=version))
            publisher.expect(raw.PUBACK)
    again, _ = connect_persistent(broker_under_test, client_id, version)
    with again:
        messages = [raw.parse_publish(again.expect(raw.PUBLISH), version) for _ in range(5)]
        for message in messages:
            again.send(raw.ack(raw.PUBACK, message.packet_id))
    assert [m.payload for m in messages] == [b"0", b"1", b"2", b"3", b"4"]
    # 3 and 4 may have been sent to the dying connection before the broker saw it close: DUP is theirs to set.
    assert [m.dup for m in messages[:3]] == [True, True, True]


@pytest.mark.parametrize("version", VERSIONS)
def test_pubrel_is_resent_after_pubrec_on_reconnect(broker_under_test, version):
    """[MQTT-4.4.0-1] a QoS 2 message already PUBRECed is continued on reconnect with a PUBREL, not a PUBLISH;
    [MQTT-4.3.3-*] exactly once: the message is not delivered a second time."""
    client_id, topic = unique_id("pubrel"), unique_id("raw/pubrel")
    client, _ = connect_persistent(broker_under_test, client_id, version)
    subscribe(client, topic, 2, version)
    with raw.RawClient(broker_under_test.host, broker_under_test.port) as publisher:
        publisher.send(raw.connect(unique_id("pub"), version=version))
        publisher.expect(raw.CONNACK)
        publisher.send(raw.publish(topic, b"once", qos=2, packet_id=9, version=version))
        publisher.expect(raw.PUBREC)
        publisher.send(raw.ack(raw.PUBREL, 9))
        publisher.expect(raw.PUBCOMP)
    delivered = raw.parse_publish(client.expect(raw.PUBLISH), version)
    client.send(raw.ack(raw.PUBREC, delivered.packet_id))
    client.expect(raw.PUBREL)
    client.close()  # no PUBCOMP

    again, _ = connect_persistent(broker_under_test, client_id, version)
    with again:
        pubrel = again.expect(raw.PUBREL)
        assert pubrel.flags == 0x02  # [MQTT-3.6.1-1]
        assert pubrel.body[:2] == delivered.packet_id.to_bytes(2, "big")
        again.send(raw.ack(raw.PUBCOMP, delivered.packet_id))
        assert again.is_silent(0.5), "the message must not be delivered twice"


@pytest.mark.parametrize("version", VERSIONS)
def test_keepalive_silence_closes_the_connection(broker_under_test, version):
    """[MQTT-3.1.2-24] no packet within 1.5 x Keep Alive (1 s): the server closes the connection, and
    [MQTT-3.1.2-8] publishes the will because the end was not a DISCONNECT."""
    topic = unique_id("raw/keepalive")
    watcher, _ = raw.connect_raw(
        broker_under_test.host, broker_under_test.port, unique_id("w"), version=version
    )
    with watcher:
        subscribe(watcher, topic, 0, version)
        will = raw.Will(topic, b"timed out")
        silent, _ = raw.connect_raw(
            broker_under_test.host,
            broker_under_test.port,
            unique_id("s"),
            version=version,
            keepalive=1,
            will=will,
        )
        with silent:
            silent.read_until_closed(timeout=3.0)  # 1.5 s allowed, doubled for a loaded machine
        assert raw.parse_publish(watcher.expect(raw.PUBLISH), version).payload == b"timed out"


@pytest.mark.parametrize("version", VERSIONS)
def test_pingreq_keeps_the_connection_alive(broker_under_test, version):
    """[MQTT-3.12.4-1] PINGREQ is answered with PINGRESP, and traffic within the keepalive keeps it open."""
    client, _ = raw.connect_raw(
        broker_under_test.host, broker_under_test.port, unique_id("ping"), version=version, keepalive=1
    )
    with client:
        for _ in range(4):  # 1.6 s in all: longer than 1.5 x the 1 s keepalive
            time.sleep(0.4)
            client.send(raw.packet(raw.PINGREQ << 4, b""))
            client.expect(raw.PINGRESP, timeout=2.0)


def test_server_keep_alive_advertises_max_keepalive():
    """[MQTT-3.2.2-21]/[MQTT-3.2.2-22] a broker configured with max_keepalive 10 answers a v5 CONNECT
    asking 60 s with Server Keep Alive 10, and the client must use it."""
    with broker_process(max_keepalive=10) as broker:
        client, connack = raw.connect_raw(broker.host, broker.port, unique_id("ska"), keepalive=60)
        with client:
            assert raw.reason_code(connack) == 0
            assert connack.props.get(raw.SERVER_KEEP_ALIVE) == [10]


def test_v311_zero_length_client_id_without_clean_session_is_refused(broker_under_test):
    """[MQTT-3.1.3-8] 3.1.1: empty client id with CleanSession=0: CONNACK return code 0x02
    (Identifier rejected), then the server closes the connection [MQTT-3.2.2-5]."""
    client = raw.RawClient(broker_under_test.host, broker_under_test.port)
    client.version = 4
    with client:
        client.send(raw.connect("", version=4, clean=False))
        connack = client.expect(raw.CONNACK)
        assert connack.body == b"\x00\x02"
        assert client.read_until_closed(timeout=3.0) == []
