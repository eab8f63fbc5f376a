"""Runs of plain QoS 1 PUBLISH forwarded from their bytes (broker/protocol/fastpath_qos1.py): what a
subscriber, its session and the publisher see is what the normal path gives."""

from __future__ import annotations

import pytest

from broker.codec import Publish
from broker.codec.encoder import encode
from tests.broker.protocol.pair import V5, V311, Hub, Properties, PubAck


def _qos1(topic: str, payload: bytes, packet_id: int, version) -> bytes:
    return encode(Publish(topic, payload, 1, packet_id=packet_id), version)


def _with_packet_id(packet: bytes, packet_id: int) -> bytes:
    """The same PUBLISH with another packet id (one-byte Remaining Length)."""
    at = 4 + ((packet[2] << 8) | packet[3])
    return packet[:at] + packet_id.to_bytes(2, "big") + packet[at + 2 :]


@pytest.mark.parametrize("version", [V311, V5])
def test_a_same_version_subscriber_gets_the_received_bytes_with_its_own_packet_ids(version):
    """[MQTT-2.2.1-3] the broker picks its own packet ids for the subscriber's session; nothing else
    in a plain PUBLISH changes on the way [MQTT-3.3.1-1 DUP 0 on a first delivery]."""
    hub = Hub()
    subscriber = hub.connected("sub", version)
    subscriber.subscribe("t/+", qos=1)
    publisher = hub.connected("pub", version)
    packets = [_qos1("t/a", f"m{n}".encode(), 500 + n, version) for n in range(6)]
    publisher.send_bytes(packets[0])  # the first packet on a topic builds the route
    publisher.send_bytes(b"".join(packets[1:]))
    assert len(publisher.connection.plain_routes.table[b"\x00\x03t/a"].direct) == 1
    expected = b"".join(_with_packet_id(packet, n + 1) for n, packet in enumerate(packets))
    assert subscriber.connection.take_output() == expected
    assert sorted(subscriber.connection.session.inflight) == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("version", [V311, V5])
def test_the_publisher_gets_its_pubacks_in_the_order_it_published(version):
    """[MQTT-4.6.0-2] PUBACKs in the order the PUBLISH packets were received; [MQTT-3.3.4-1] one each."""
    hub = Hub()
    hub.connected("sub", version).subscribe("t", qos=1)
    publisher = hub.connected("pub", version)
    ids = [7, 3, 65535, 1, 9]
    publisher.send_bytes(_qos1("t", b"first", 2, version))
    publisher.received()
    publisher.send_bytes(b"".join(_qos1("t", b"x", packet_id, version) for packet_id in ids))
    assert publisher.connection.take_output() == b"".join(b"\x40\x02" + i.to_bytes(2, "big") for i in ids)


def test_a_run_beyond_the_receive_maximum_waits_in_order_and_follows_the_pubacks():
    """[MQTT-3.3.4-9] no more unacknowledged PUBLISH than the client's Receive Maximum; the rest is
    sent in order as PUBACKs free the window [MQTT-4.6.0-6]."""
    hub = Hub()
    narrow = hub.connected("narrow", V5, properties=Properties(receive_maximum=3))
    narrow.subscribe("t", qos=1)
    publisher = hub.connected("pub", V5)
    publisher.send_bytes(_qos1("t", b"0", 1, V5))
    publisher.send_bytes(b"".join(_qos1("t", str(n).encode(), n + 1, V5) for n in range(1, 10)))
    seen: list[bytes] = []
    for _ in range(20):  # bounded: ten messages need at most ten rounds
        batch = narrow.received_publishes()
        if not batch:
            break
        assert len(narrow.connection.session.inflight) <= 3
        seen += [packet.payload for packet in batch]
        narrow.send(PubAck(batch[0].packet_id))
    assert seen == [str(n).encode() for n in range(10)]


def test_a_congested_subscriber_keeps_its_qos1_messages_until_it_drains():
    """QoS 1 is never dropped for a slow reader while its queue has room; it waits in the session
    and goes out in order once the transport drains [MQTT-4.6.0-6]."""
    hub = Hub()
    subscriber = hub.connected("sub", V311)
    subscriber.subscribe("t", qos=1)
    publisher = hub.connected("pub", V311)
    publisher.send_bytes(_qos1("t", b"0", 1, V311))
    subscriber.connection.is_congested = True
    publisher.send_bytes(b"".join(_qos1("t", str(n).encode(), n + 1, V311) for n in range(1, 5)))
    assert [p.payload for p in subscriber.received_publishes()] == [b"0"]
    assert len(subscriber.connection.session.queue) == 4
    subscriber.connection.resume()
    assert [p.payload for p in subscriber.received_publishes()] == [b"1", b"2", b"3", b"4"]
    assert hub.broker.stats.publish_dropped == 0


def test_packet_ids_wrap_and_skip_those_still_in_flight():
    """[MQTT-2.2.1-3] a packet id is not reused while its message is unacknowledged, also across the
    wrap from 65535 to 1."""
    hub = Hub()
    subscriber = hub.connected("sub", V311)
    subscriber.subscribe("t", qos=1)
    publisher = hub.connected("pub", V311)
    publisher.send_bytes(_qos1("t", b"held", 1, V311))  # id 1, never acknowledged here
    (held,) = subscriber.received_publishes()
    subscriber.connection.session._last_packet_id = 65534
    publisher.send_bytes(b"".join(_qos1("t", b"n", 2, V311) for _ in range(3)))
    ids = [packet.packet_id for packet in subscriber.received_publishes()]
    assert (held.packet_id, ids) == (1, [65535, 2, 3])


def test_every_kind_of_receiver_gets_the_whole_run_in_order():
    """One run to a same-version subscriber (bytes), an MQTT 5 one, one granted QoS 0 [MQTT-3.8.4-8]
    and an offline session that queues it [MQTT-3.1.2-4]: all in publish order [MQTT-4.6.0-6]."""
    hub = Hub()
    same = hub.connected("same", V311)
    same.subscribe("t", qos=1)
    other = hub.connected("other", V5)
    other.subscribe("t", qos=2)
    at_qos0 = hub.connected("q0", V311)
    at_qos0.subscribe("t", qos=0)
    away = hub.connected("away", V311, clean=False)
    away.subscribe("t", qos=1)
    away.drop()
    publisher = hub.connected("pub", V311)
    payloads = [str(n).encode() for n in range(8)]
    publisher.send_bytes(_qos1("t", payloads[0], 1, V311))
    publisher.send_bytes(b"".join(_qos1("t", p, 2, V311) for p in payloads[1:]))
    route = publisher.connection.plain_routes.table[b"\x00\x01t"]
    assert (len(route.direct), len(route.general)) == (1, 3)
    for client, qos in ((same, 1), (other, 1), (at_qos0, 0)):
        got = client.received_publishes()
        assert [(p.payload, p.qos) for p in got] == [(p, qos) for p in payloads]
    back = hub.connected("away", V311, clean=False)
    assert [p.payload for p in back.received_publishes()] == payloads
