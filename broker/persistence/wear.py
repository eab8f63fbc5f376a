"""How much the store writes for a sensor node, from its own accounting.

``python -m broker.persistence.wear [--sensors 20] [--seconds 600]`` replays the records the broker
writes when sensors publish retained QoS 1 readings at 1 Hz to one online persistent subscriber
(each reading: retained set + delivery in flight, committed before the PUBACK; then the
subscriber's PUBACK, committed), against a real store in a temporary folder, and scales to a day.
Batching cases: every reading in its own event-loop iteration (the worst), all sensors' readings
of one second arriving in one read (an agents process publishing a burst), and the worst case
again with ``sync_interval`` 1 s (acks held up to a second, at most one sync per second).
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass

from broker.persistence.records import StoredMessage
from broker.persistence.store import Store

DAY = 86_400


@dataclass(frozen=True)
class Wear:
    sensors: int
    seconds: int
    batched: bool
    sync_interval: float
    bytes_written: int
    syncs: int
    compactions: int

    def per_day(self, value: int) -> int:
        return round(value * DAY / self.seconds)


def measure(sensors: int = 20, seconds: int = 600, batched: bool = False, sync_interval: float = 0.0) -> Wear:
    with tempfile.TemporaryDirectory() as folder:
        # durable=False writes the same bytes without waiting for the disk; a commit is one sync
        store, _ = Store.open(folder, durable=False, sync_interval=sync_interval)
        store.session_created("phone", 5, 0xFFFFFFFF)
        store.commit()
        start_bytes, start_commits, start_compactions = (
            store.stats.bytes_written,
            store.stats.commits,
            store.stats.compactions,
        )
        packet_id = 0
        for second in range(seconds):
            packet_id = _one_second(store, second, sensors, batched, packet_id)
        store.commit()  # whatever a sync interval still holds
        wear = Wear(
            sensors,
            seconds,
            batched,
            sync_interval,
            store.stats.bytes_written - start_bytes,
            store.stats.commits - start_commits,
            store.stats.compactions - start_compactions,
        )
        store.close()
        return wear


def _one_second(store: Store, second: int, sensors: int, batched: bool, packet_id: int) -> int:
    """Every sensor's reading of one second, as the broker records and commits it; the last packet id."""
    sent = []
    for sensor in range(sensors):
        packet_id = packet_id % 65535 + 1
        topic = f"perch/greenhouse/sensor{sensor:02d}/temperature"
        reading = StoredMessage(topic, b"%.1f" % (18 + (second + sensor) % 70 / 10), 1, True)
        store.retained_set(reading)
        store.message_queued("phone", reading, 1, True, packet_id=packet_id)
        sent.append(packet_id)
        if not batched:
            now = second + sensor / sensors
            store.commit(now)
            store.message_acknowledged("phone", packet_id)
            store.commit(now + 0.001)
    if batched:
        store.commit()
        for acknowledged in sent:
            store.message_acknowledged("phone", acknowledged)
        store.commit()
    return packet_id


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sensors", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=600)
    args = parser.parse_args(argv)
    for batched, interval in ((False, 0.0), (True, 0.0), (False, 1.0)):
        wear = measure(args.sensors, args.seconds, batched, interval)
        case = "one read per second" if batched else "one read per reading"
        case += f", sync_interval {interval:g} s"
        readings = args.sensors * args.seconds
        print(
            f"{case}: {wear.bytes_written / readings:.1f} bytes/reading, "
            f"{wear.per_day(wear.bytes_written) / 1e6:.1f} MB/day, "
            f"{wear.per_day(wear.syncs)} syncs/day, {wear.per_day(wear.compactions)} compactions/day"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
