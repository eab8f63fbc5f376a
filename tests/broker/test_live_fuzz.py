"""Hypothesis feeds random and mutated MQTT bytes to a live broker process over TCP.

Whatever arrives on one connection, the broker process stays up and a fresh, well-behaved client is still
served (CONNECT, SUBSCRIBE, a QoS 1 round trip, PINGREQ): MQTT 4.13 closes only the offending connection.
Bounded: ``PERCH_FUZZ_EXAMPLES`` examples (100 by default). The broker is Perch's, or Mosquitto's with
``PERCH_INTEROP_BROKER=mosquitto`` (how these inputs were first validated).
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.interop import raw
from tests.interop.brokers import BrokerUnderTest, broker_process, unique_id

EXAMPLES = int(os.environ.get("PERCH_FUZZ_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

V5_PUBLISH_PROPS = (
    (raw.TOPIC_ALIAS, 1),
    (raw.MESSAGE_EXPIRY, 30),
    (raw.USER_PROPERTY, ("k", "v")),
    (raw.CONTENT_TYPE, "text/plain"),
)
SEEDS = [
    raw.connect("fuzz-a", version=4, will=raw.Will("fuzz/will", b"bye", qos=1))
    + raw.subscribe(1, [("fuzz/#", 2)], version=4)
    + raw.publish("fuzz/x", b"payload", qos=2, packet_id=2, version=4)
    + raw.ack(raw.PUBREL, 2)
    + raw.packet(raw.PINGREQ << 4, b"")
    + raw.disconnect(version=4),
    raw.connect(
        "fuzz-b", props=((raw.SESSION_EXPIRY, 5), (raw.TOPIC_ALIAS_MAXIMUM, 4), (raw.RECEIVE_MAXIMUM, 3))
    )
    + raw.subscribe(1, [("fuzz/+", 0x2E), ("$share/g/fuzz/#", 1)], props=((raw.SUBSCRIPTION_ID, 7),))
    + raw.publish("fuzz/y", b"\xff\x00", qos=1, retain=True, packet_id=3, props=V5_PUBLISH_PROPS)
    + raw.publish("", b"aliased", qos=1, packet_id=4, props=((raw.TOPIC_ALIAS, 1),))
    + raw.packet(raw.UNSUBSCRIBE << 4 | 0x02, b"\x00\x05\x00" + raw.utf8("fuzz/+"))
    + raw.disconnect(0x04),
]


@st.composite
def mutated_seed(draw: st.DrawFn) -> bytes:
    """A valid packet stream with a few bytes flipped, replaced, inserted, deleted, or cut short."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        position = draw(st.integers(0, len(data) - 1)) if data else 0
        operation = draw(st.sampled_from(["flip", "replace", "insert", "delete", "truncate"]))
        if operation == "flip" and data:
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif operation == "replace" and data:
            data[position] = draw(st.sampled_from([0x00, 0x7F, 0x80, 0xFF, draw(st.integers(0, 255))]))
        elif operation == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=8))
        elif operation == "delete" and data:
            del data[position]
        elif operation == "truncate":
            del data[position:]
    return bytes(data)


FUZZ_INPUT = st.one_of(st.binary(max_size=512), mutated_seed())


@pytest.fixture(scope="module")
def live_broker() -> Iterator[BrokerUnderTest]:
    with broker_process() as broker:
        yield broker


def feed(broker: BrokerUnderTest, data: bytes, connect_first: bool) -> None:
    """Send the bytes on a fresh connection, end our side, and read what comes back for a moment."""
    with socket.create_connection((broker.host, broker.port), timeout=2.0) as sock:
        with contextlib.suppress(OSError):  # the broker may close while we still write
            if connect_first:
                sock.sendall(raw.connect(unique_id("fuzz")))
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + 0.5
        with contextlib.suppress(OSError):
            while time.monotonic() < deadline:
                sock.settimeout(max(deadline - time.monotonic(), 0.01))
                if not sock.recv(65536):
                    break


def assert_serves_a_fresh_client(broker: BrokerUnderTest) -> None:
    assert broker.is_alive(), "the broker process died"
    topic = unique_id("fuzz/check")
    client, connack = raw.connect_raw(broker.host, broker.port, unique_id("checker"))
    with client:
        assert raw.reason_code(connack) == 0
        client.send(raw.subscribe(1, [(topic, 1)]))
        client.expect(raw.SUBACK)
        client.send(raw.publish(topic, b"still here", qos=1, packet_id=2))
        packets = {client.expect_any(raw.PUBACK, raw.PUBLISH).kind for _ in range(2)}
        assert packets == {raw.PUBACK, raw.PUBLISH}
        client.send(raw.packet(raw.PINGREQ << 4, b""))
        client.expect(raw.PINGRESP)


@FUZZ
@given(data=FUZZ_INPUT, connect_first=st.booleans())
def test_random_and_mutated_bytes_never_take_the_broker_down(live_broker, data, connect_first):
    """[MQTT-4.13.1-1] malformed input closes only its own connection; the broker serves the next client."""
    feed(live_broker, data, connect_first)
    assert_serves_a_fresh_client(live_broker)
