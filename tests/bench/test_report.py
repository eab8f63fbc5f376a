"""Verdicts and tables of bench/report.py from hand-made samples."""

from __future__ import annotations

from bench.report import results_table, verdict
from bench.runner import Results
from bench.scenarios import METRICS, TINY

BY_KEY = {metric.key: metric for metric in METRICS}


def test_throughput_needs_both_the_mosquitto_ratio_and_twenty_times_amqtt():
    fan_in = BY_KEY["fan_in.rate"]
    assert verdict(fan_in, 160_000, 150_000, 8_000) == "met"
    assert verdict(fan_in, 140_000, 150_000, 1_000) == "NOT met"  # below Mosquitto
    assert verdict(fan_in, 160_000, 150_000, 10_000) == "NOT met"  # only 16x amqtt


def test_lower_is_better_rows_compare_the_other_way():
    p99 = BY_KEY["latency_qos0.p99_us"]
    assert verdict(p99, 250, 134, None) == "met"
    assert verdict(p99, 300, 134, None) == "NOT met"


def test_absolute_targets_ignore_the_reference():
    idle = BY_KEY["idle_large.bytes_per_connection"]
    assert verdict(idle, 3000, 500, 40_000) == "met"
    assert verdict(idle, 3100, 5000, None) == "NOT met"


def test_table_shows_medians_and_ratios():
    results = Results(["perch", "mosquitto"], TINY, rounds=3)
    results.samples["perch"]["connect.rate"] += [900.0, 1000.0, 5000.0]
    results.samples["mosquitto"]["connect.rate"] += [2000.0, 1000.0, 3000.0]
    table = results_table(results)
    (row,) = [line for line in table.splitlines() if line.startswith("| connect")]
    assert "| 1,000 | 2,000 | 0.50x |" in row
    assert row.endswith("| met |")
