"""The wear measurement behind the figures in docs/persistence.md."""

from __future__ import annotations

from broker.persistence.wear import measure


def test_each_batching_case_counts_what_it_should() -> None:
    worst = measure(sensors=20, seconds=30)
    burst = measure(sensors=20, seconds=30, batched=True)
    paced = measure(sensors=20, seconds=30, sync_interval=1.0)
    readings = 20 * 30
    assert worst.syncs == 2 * readings  # the reading, then its PUBACK
    assert burst.syncs == 2 * 30  # one read per second: two commits per second
    assert 29 <= paced.syncs <= 31  # at most one per second
    assert burst.bytes_written < worst.bytes_written  # fewer frames
    assert 40 < worst.bytes_written / readings < 90  # the per-reading figure in the docs (about 68)
    assert worst.per_day(worst.syncs) == 2 * 20 * 86_400
