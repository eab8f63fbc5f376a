"""The benchmark's scenarios, their sizes, and the metrics and targets the report shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bench import connections, throughput
from bench.brokers import Broker
from bench.packets import MQTT_5, MQTT_311
from bench.throughput import Load


@dataclass(frozen=True)
class Sizes:
    """How many messages and connections each scenario uses; every run is also capped at `seconds`."""

    fan_in_each: int
    fan_out: int
    qos1: int
    latency_samples: int
    idle_counts: tuple[int, ...]
    connects: int
    retained: int
    seconds: float


FULL = Sizes(50_000, 10_000, 30_000, 1000, (1000, 5000), 2000, 10_000, 6.0)
QUICK = Sizes(10_000, 2_000, 5_000, 300, (1000, 5000), 1000, 10_000, 4.0)
TINY = Sizes(100, 20, 200, 20, (20,), 20, 200, 5.0)


@dataclass(frozen=True)
class Metric:
    """One row of the results table. `target` is checked against the ratio to Mosquitto unless
    `absolute` is set, in which case it is a bound on Perch's own value."""

    key: str
    label: str
    unit: str
    higher_is_better: bool
    target: float | None = None
    absolute: bool = False
    versus_amqtt: float | None = None  # at least this many times amqtt (throughput rows)


@dataclass(frozen=True)
class Scenario:
    name: str
    run: Callable[[Broker, Sizes], dict[str, float]]
    metrics: dict[str, str]  # result field -> metric key
    mqtt5: bool = False


def _load(broker: Broker, sizes: Sizes, version: int, messages: int = 0) -> Load:
    return Load(broker.host, broker.port, version, messages, sizes.seconds)


def _fan_in(version: int):
    return lambda b, s: throughput.fan_in(_load(b, s, version, s.fan_in_each))


def _fan_out(version: int):
    return lambda b, s: throughput.fan_out(_load(b, s, version, s.fan_out))


def _qos1(version: int):
    return lambda b, s: throughput.qos1(_load(b, s, version, s.qos1))


def _latency(qos: int):
    return lambda b, s: connections.latency(_load(b, s, MQTT_311), qos, s.latency_samples)


def _idle(index: int):
    def run(broker: Broker, sizes: Sizes) -> dict[str, float]:
        count = sizes.idle_counts[min(index, len(sizes.idle_counts) - 1)]
        return connections.idle_memory(_load(broker, sizes, MQTT_311), broker.pid, count)

    return run


def _rows(prefix: str, fields: tuple[str, ...]) -> dict[str, str]:
    return {field: f"{prefix}.{field}" for field in fields}


SCENARIOS = [
    Scenario("fan_in", _fan_in(MQTT_311), _rows("fan_in", ("rate", "loadgen_cpu", "broker_cpu", "lost"))),
    Scenario("fan_out", _fan_out(MQTT_311), _rows("fan_out", ("rate", "loadgen_cpu", "broker_cpu", "lost"))),
    Scenario("qos1", _qos1(MQTT_311), _rows("qos1", ("rate", "loadgen_cpu", "broker_cpu", "lost"))),
    Scenario("latency_qos0", _latency(0), _rows("latency_qos0", ("p50_us", "p99_us"))),
    Scenario("latency_qos1", _latency(1), _rows("latency_qos1", ("p50_us", "p99_us"))),
    Scenario("idle_small", _idle(0), _rows("idle_small", ("bytes_per_connection",))),
    Scenario("idle_large", _idle(1), _rows("idle_large", ("bytes_per_connection",))),
    Scenario(
        "connect",
        lambda b, s: connections.connect_rate(_load(b, s, MQTT_311), s.connects),
        _rows("connect", ("rate",)),
    ),
    Scenario(
        "retained",
        lambda b, s: connections.retained(_load(b, s, MQTT_311), s.retained),
        _rows("retained", ("ms",)),
    ),
    Scenario("fan_in_v5", _fan_in(MQTT_5), _rows("fan_in_v5", ("rate", "lost")), mqtt5=True),
    Scenario("fan_out_v5", _fan_out(MQTT_5), _rows("fan_out_v5", ("rate", "lost")), mqtt5=True),
    Scenario("qos1_v5", _qos1(MQTT_5), _rows("qos1_v5", ("rate", "lost")), mqtt5=True),
]

METRICS = [
    Metric(
        "fan_in.rate", "fan-in QoS 0, 4 publishers → 1 subscriber (+ wildcard)", "msg/s", True, 1.0, False, 20
    ),
    Metric(
        "fan_out.rate", "fan-out QoS 0, 1 publisher → 50 subscribers", "deliveries/s", True, 1.0, False, 20
    ),
    Metric("fan_in.lost", "fan-in QoS 0 sent but not delivered by the deadline", "messages", False),
    Metric("fan_out.lost", "fan-out QoS 0 deliveries not made by the deadline", "deliveries", False),
    Metric("qos1.rate", "QoS 1 end to end, window 16", "msg/s", True, 1.0, False, 20),
    Metric("qos1.lost", "QoS 1 messages acknowledged but never delivered", "messages", False, 0, True),
    Metric("latency_qos0.p50_us", "latency QoS 0, p50", "µs", False),
    Metric("latency_qos0.p99_us", "latency QoS 0, p99", "µs", False, 2.0),
    Metric("latency_qos1.p50_us", "latency QoS 1, p50", "µs", False),
    Metric("latency_qos1.p99_us", "latency QoS 1, p99", "µs", False, 2.0),
    Metric(
        "idle_small.bytes_per_connection",
        "RSS per idle connection, {small} connections",
        "bytes",
        False,
        3072,
        True,
    ),
    Metric(
        "idle_large.bytes_per_connection",
        "RSS per idle connection, {large} connections",
        "bytes",
        False,
        3072,
        True,
    ),
    Metric("connect.rate", "connect + CONNACK + DISCONNECT rate", "conn/s", True, 0.5),
    Metric("retained.ms", "10k retained messages to a new '#' subscriber", "ms", False, 1.0),
    Metric("fan_in_v5.rate", "MQTT 5 fan-in QoS 0, 4 → 1", "msg/s", True, 1.0),
    Metric("fan_out_v5.rate", "MQTT 5 fan-out QoS 0, 1 → 50", "deliveries/s", True, 1.0),
    Metric("qos1_v5.rate", "MQTT 5 QoS 1 end to end, window 16", "msg/s", True, 1.0),
    Metric("qos1_v5.lost", "MQTT 5 QoS 1 acknowledged but never delivered", "messages", False, 0, True),
]

CPU_ROWS = [
    ("fan_in", "fan-in"),
    ("fan_out", "fan-out"),
    ("qos1", "QoS 1"),
]
