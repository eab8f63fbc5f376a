"""Publisher: batches arrive in order through the in-flight window; when acks wake the sender; gathering."""

from __future__ import annotations

import time

from agents.config.appliance import MqttSettings
from agents.publish.client import GATHER_SECONDS, MAX_IN_FLIGHT, Publisher
from agents.publish.spool import Spool
from tests.agents.fakes import Recorder, wait_until


def make_publisher(tmp_path, port: int = 1) -> Publisher:
    spool = Spool(tmp_path / "spool.sqlite")
    return Publisher(MqttSettings(host="127.0.0.1", port=port), "test-publisher", "t/status", spool)


def test_a_batch_larger_than_the_window_arrives_complete_and_in_order(perch, tmp_path):
    count = 3 * MAX_IN_FLIGHT + 7
    publisher = make_publisher(tmp_path, perch.port)
    with Recorder(perch.port, "t/reading") as live:
        publisher.start()
        try:
            wait_until(publisher.connected.is_set, what="connected")
            publisher.publish_readings(("t/reading", str(index), False) for index in range(count))
            wait_until(lambda: len(live.payloads("t/reading")) >= count, what=f"{count} readings")
            wait_until(lambda: len(publisher.spool) == 0, what="every reading acknowledged")
        finally:
            publisher.stop()
            publisher.spool.close()
        assert live.payloads("t/reading") == [str(index) for index in range(count)]


def test_an_ack_wakes_the_sender_only_when_the_window_was_full(tmp_path):
    publisher = make_publisher(tmp_path)
    try:
        for spool_id in range(1, MAX_IN_FLIGHT + 1):
            publisher.spool.append("t/reading", b"1")
            publisher._in_flight[spool_id] = spool_id  # paho message id -> spool id
        publisher._send_due = False
        publisher._on_publish(publisher.client, None, 1, None, None)
        assert publisher._send_due, "a full window just got room: the sender must look again"
        publisher._send_due = False
        publisher._on_publish(publisher.client, None, 2, None, None)
        assert not publisher._send_due, "room was left: nothing new for the sender"
        assert len(publisher.spool) == MAX_IN_FLIGHT - 2
    finally:
        publisher.stop()
        publisher.spool.close()


def test_readings_are_gathered_briefly_then_handed_to_paho_together(tmp_path):
    publisher = make_publisher(tmp_path)
    try:
        publisher.connected.set()  # as after a CONNACK; paho queues what it is given until it connects
        publisher.publish_readings([("t/a", "1", False)])
        wait = publisher._send_spooled()
        assert wait is not None and 0 < wait <= GATHER_SECONDS + 1e-9
        assert not publisher._in_flight, "nothing leaves before the gathering ends"
        publisher.publish_readings([("t/b", "2", False)])
        time.sleep(wait)
        assert publisher._send_spooled() is None
        assert sorted(publisher._in_flight.values()) == [1, 2]
        assert publisher._send_spooled() is None, "nothing new: no new gathering"
    finally:
        publisher.connected.clear()
        publisher.stop()
        publisher.spool.close()
