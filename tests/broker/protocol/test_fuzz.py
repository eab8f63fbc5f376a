"""Random and mutated bytes fed to a live connection: only that connection ever closes.

Bounded by ``max_examples`` (``PERCH_FUZZ_EXAMPLES`` raises it). The invariant: ``receive`` never
raises, a closed connection stays closed, and a well-behaved client on the same broker still works.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broker.codec.encoder import encode
from tests.broker.protocol.pair import (
    V5,
    V311,
    Connect,
    Hub,
    Properties,
    Publish,
    Subscribe,
    SubscriptionRequest,
)

EXAMPLES = int(os.environ.get("PERCH_FUZZ_EXAMPLES", "200"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _valid_stream(version) -> bytes:
    packets = [
        Connect(client_id="fuzz", protocol_version=version, properties=Properties()),
        Subscribe(1, [SubscriptionRequest("a/#", 2)]),
        Publish("a/b", b"payload", 1, packet_id=2),
        Publish("a/c", b"p2", 2, True, packet_id=3),
    ]
    return b"".join(encode(packet, version) for packet in packets)


def _check_broker_still_serves(hub: Hub) -> None:
    assert hub.broker.stats.internal_errors == 0
    subscriber = hub.connected("healthy-sub", V311)
    subscriber.subscribe("health")
    hub.connected("healthy-pub", V311).publish("health", b"ok")
    assert [p.payload for p in subscriber.received_publishes()] == [b"ok"]


@FUZZ
@given(st.binary(max_size=300), st.integers(min_value=1, max_value=64))
def test_random_bytes_never_break_the_broker(data, chunk):
    hub = Hub()
    client = hub.client(V5)
    for start in range(0, len(data), chunk):
        client.send_bytes(data[start : start + chunk])
    client.connection.take_output()
    client.drop()
    _check_broker_still_serves(hub)


@FUZZ
@given(
    st.sampled_from([V311, V5]),
    st.lists(st.tuples(st.integers(min_value=0, max_value=200), st.integers(0, 255)), min_size=1, max_size=6),
)
def test_mutated_valid_streams_never_break_the_broker(version, mutations):
    data = bytearray(_valid_stream(version))
    for position, value in mutations:
        data[position % len(data)] = value
    hub = Hub()
    client = hub.client(version)
    client.send_bytes(bytes(data))
    client.connection.take_output()
    client.drop()
    _check_broker_still_serves(hub)
