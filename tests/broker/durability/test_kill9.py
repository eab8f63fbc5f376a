"""kill -9 of a broker with persistence: nothing it acknowledged is lost, no QoS 2 message twice.

The issue's target: 1000 QoS 1 and 500 QoS 2 messages acknowledged to their publisher (PUBACK /
PUBREC) while the subscriber's persistent session is offline or mid-stream, then SIGKILL. After
the restart the subscriber gets every one of them [MQTT-4.3.2-*, MQTT-4.3.3-*], each QoS 2 message
exactly once [MQTT-4.3.3-10], retained messages and subscriptions are still there.
"""

from __future__ import annotations

import time
from pathlib import Path

from tests.broker.durability.conftest import DurableBroker
from tests.broker.durability.wire import PUBREC, RawClient

QOS1_IDS = range(1, 1001)
QOS2_IDS = range(2001, 2501)
QOS2_BATCH = 50  # stays under the broker's receive_maximum (100) of unreleased QoS 2 messages


def _wait_acked(client: RawClient, packet_ids: range, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not all(pid in client.acked for pid in packet_ids):
        assert time.monotonic() < deadline, f"{sum(p in client.acked for p in packet_ids)} acked"
        client.pump(0.5)


def _publish_all(port: int) -> RawClient:
    """1000 QoS 1 pipelined, then 500 QoS 2 in batches; returns once each has its PUBACK/PUBREC."""
    publisher = RawClient(port, "sensor", clean_session=False)
    publisher.connect()
    publisher.publish("farm/config", b"retained-v1", 1, packet_id=1500, retain=True)
    for pid in QOS1_IDS:
        publisher.publish("farm/q1", f"q1-{pid}".encode(), 1, pid)
    _wait_acked(publisher, range(1500, 1501))
    _wait_acked(publisher, QOS1_IDS)
    for start in range(QOS2_IDS.start, QOS2_IDS.stop, QOS2_BATCH):
        batch = range(start, start + QOS2_BATCH)
        for pid in batch:
            publisher.publish("farm/q2", f"q2-{pid}".encode(), 2, pid)
        _wait_acked(publisher, batch)
        if batch.stop < QOS2_IDS.stop:  # the last batch stays released-but-uncompleted at the kill
            deadline = time.monotonic() + 10
            while any(publisher.acked[p] == PUBREC for p in batch) and time.monotonic() < deadline:
                publisher.pump(0.5)
    return publisher


def _drain(client: RawClient, wanted: int, timeout: float = 20.0) -> None:
    """Read until ``wanted`` messages arrived, then a short quiet period to catch duplicates."""
    deadline = time.monotonic() + timeout
    while len(client.received) < wanted and time.monotonic() < deadline:
        client.pump(0.5)
    while client.pump(0.3) and time.monotonic() < deadline:
        pass


def _check_everything_once(received: list[tuple[str, bytes, int]]) -> None:
    qos1 = [payload for topic, payload, _ in received if topic == "farm/q1"]
    qos2 = [payload for topic, payload, _ in received if topic == "farm/q2"]
    assert set(qos1) == {f"q1-{pid}".encode() for pid in QOS1_IDS}, "an acknowledged QoS 1 message was lost"
    assert sorted(qos2) == sorted(f"q2-{pid}".encode() for pid in QOS2_IDS), "QoS 2 lost or duplicated"


def test_offline_persistent_session_gets_every_acknowledged_message_after_kill_9(
    durable_broker: DurableBroker,
) -> None:
    port = durable_broker.start()
    phone = RawClient(port, "phone", clean_session=False)
    phone.connect()
    assert phone.subscribe("farm/#", 2) == 2
    phone.disconnect()
    publisher = _publish_all(port)
    durable_broker.kill()
    publisher.close()

    port = phone.port = publisher.port = durable_broker.start()
    phone.connect()
    assert phone.session_present, "the persistent session did not survive [MQTT-3.2.2-2]"
    _drain(phone, 1 + len(QOS1_IDS) + len(QOS2_IDS))
    _check_everything_once(phone.received)
    assert (("farm/config", b"retained-v1", 1)) in phone.received

    # The publisher did not see PUBCOMP for its last batch: it resends those PUBLISH (DUP); the
    # broker kept their packet ids through the crash, so they are not routed again [MQTT-4.3.3-10].
    publisher.connect()
    assert publisher.session_present
    last_batch = range(QOS2_IDS.stop - QOS2_BATCH, QOS2_IDS.stop)
    for pid in last_batch:
        publisher.publish("farm/q2", f"q2-{pid}".encode(), 2, pid)
    _wait_acked(publisher, last_batch)
    publisher.publish("farm/after", b"after-restart", 1, packet_id=7)
    _wait_acked(publisher, range(7, 8))
    before = len(phone.received)
    _drain(phone, before + 1, timeout=5)
    assert phone.received[before:] == [("farm/after", b"after-restart", 1)], (
        "subscription lost or QoS 2 resent"
    )

    newcomer = RawClient(port, "newcomer")
    newcomer.connect()
    newcomer.subscribe("farm/config", 1)
    _drain(newcomer, 1, timeout=5)
    assert newcomer.received == [("farm/config", b"retained-v1", 1)], "the retained message was lost"


def test_subscriber_mid_stream_loses_nothing_and_sees_no_qos2_twice(durable_broker: DurableBroker) -> None:
    port = durable_broker.start()
    phone = RawClient(port, "phone", clean_session=False)
    phone.connect()
    assert phone.subscribe("farm/#", 2) == 2
    publisher = _publish_all(port)
    deadline = time.monotonic() + 10
    while len(phone.received) < 300 and time.monotonic() < deadline:  # read part, then stop reading
        phone.pump(0.5)
    assert 300 <= len(phone.received) < 1501, "the subscriber was meant to be mid-stream"
    durable_broker.kill()
    phone.close()
    publisher.close()

    phone.port = durable_broker.start()
    phone.connect()
    assert phone.session_present
    _drain(phone, 1 + len(QOS1_IDS) + len(QOS2_IDS))
    _check_everything_once(phone.received)


def test_a_damaged_journal_is_reported_and_the_broker_starts(
    durable_broker: DurableBroker, tmp_path: Path
) -> None:
    port = durable_broker.start()
    publisher = RawClient(port, "sensor")
    publisher.connect()
    for pid in range(1, 41):
        publisher.publish(f"farm/sensor{pid}", f"reading-{pid}".encode() * 20, 1, pid, retain=True)
        _wait_acked(publisher, range(pid, pid + 1))  # one commit each: many frames in the journal
    durable_broker.kill()
    journal = tmp_path / "store" / "journal"
    data = bytearray(journal.read_bytes())
    middle = len(data) // 2
    data[middle] ^= 0xFF
    journal.write_bytes(bytes(data))

    port = durable_broker.start()
    log = durable_broker.log.read_text()
    assert "journal" in log and "offset" in log and "damaged" in log, log
    assert list((tmp_path / "store").glob("journal.damaged-*")), "the damaged file was not kept aside"
    reader = RawClient(port, "reader")
    reader.connect()
    reader.subscribe("farm/#", 1)
    _drain(reader, 40, timeout=3)
    kept = {topic for topic, _, _ in reader.received}
    assert "farm/sensor1" in kept and 0 < len(kept) < 40, "the intact prefix should be kept, the rest dropped"
    durable_broker.stop()
    assert durable_broker.start(), "the next start is clean"
