"""The benchmark harness counts what it claims to count (no timing assertions: speed belongs to bench/)."""

from __future__ import annotations

import pytest

from bench import brokers, packets, runner
from bench.packets import PacketReader, UnexpectedStream, UniformCounter
from bench.report import render
from bench.scenarios import SCENARIOS, TINY


def test_uniform_counter_counts_packets_split_anywhere():
    message = packets.publish("bench/in/1", b"x" * 32)
    stream = message * 7
    for cut in (1, 2, 5, len(message) - 1, len(message) + 3):
        counter = UniformCounter()
        for start in range(0, len(stream), cut):
            counter.feed(stream[start : start + cut])
        assert counter.count == 7, cut


def test_uniform_counter_rejects_a_stream_that_is_not_uniform():
    counter = UniformCounter()
    with pytest.raises(UnexpectedStream):
        counter.feed(packets.publish("a/b", b"1") + packets.publish("a/bc", b"22"))


def test_packet_reader_decodes_a_two_byte_remaining_length():
    message = packets.publish("bench/q1", b"y" * 300, qos=1, version=packets.MQTT_5, packet_id=7)
    reader = PacketReader()
    assert reader.feed(message[:100]) == []
    (packet,) = reader.feed(message[100:])
    assert packet.publish_parts(packets.MQTT_5) == ("bench/q1", 7, b"y" * 300)


def test_tiny_run_against_perch_delivers_every_message():
    results = runner.run(["perch"], TINY, rounds=1, log=lambda *args, **kwargs: None, fresh=False)
    assert dict(results.failures["perch"]) == {}
    samples = results.samples["perch"]
    for scenario in SCENARIOS:
        for key in scenario.metrics.values():
            if key.endswith(".lost"):
                assert samples[key] == [0], key
    assert samples["fan_in.rate"][0] > 0
    table = render(results, "python -m bench (smoke)")
    assert "fan-in QoS 0" in table


def test_tiny_fan_in_counts_exactly_what_the_publishers_sent():
    from bench.throughput import Load, fan_in

    with brokers.running("perch") as broker:
        result = fan_in(Load(broker.host, broker.port, messages=150, seconds=5), publishers=4)
    assert (result["received"], result["expected"]) == (600, 600)


def test_tiny_qos1_counts_every_message_once():
    from bench.throughput import Load, qos1

    with brokers.running("perch") as broker:
        result = qos1(Load(broker.host, broker.port, packets.MQTT_5, messages=300, seconds=5), window=4)
    assert (result["received"], result["lost"], result["duplicates"]) == (300, 0, 0)
