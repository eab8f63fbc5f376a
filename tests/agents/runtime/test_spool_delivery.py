"""Broker outages and restarts lose no reading within the spool's bound, and order is kept."""

from __future__ import annotations

import json

from tests.agents.fakes import Recorder, wait_until
from tests.agents.runtime.helpers import COUNTER, running, write_config
from tests.support.brokers import free_port, perch_broker, start_perch_broker


def test_readings_from_an_outage_survive_a_restart_of_broker_and_agents(tmp_path):
    agents = f'  - {{name: tally, module: "{COUNTER}", interval: 50ms, label: outage}}\n'
    with perch_broker(websockets=False) as first:
        path = write_config(tmp_path, first.port, agents)
        with running(path) as runtime, Recorder(first.port, "perch/t/tally") as before:
            wait_until(lambda: len(before.payloads("perch/t/tally")) >= 3, what="readings before the outage")
            first.stop()  # the broker goes away; the agents keep reading into the spool
            wait_until(lambda: len(runtime.spool) >= 10, what="readings spooled during the outage")
            seen_before = [json.loads(payload) for payload in before.payloads("perch/t/tally")]
    # The agents were stopped too. A new broker comes up; the agents restart with no agents configured,
    # so everything the subscriber gets now comes from the spool on disk.
    with perch_broker(websockets=False) as second:
        path = write_config(tmp_path, second.port, "  []\n")
        with Recorder(second.port, "perch/t/tally") as after, running(path) as runtime:
            wait_until(lambda: len(runtime.spool) == 0, what="spool drained")
            wait_until(lambda: after.payloads("perch/t/tally"), what="replayed readings")
            replayed = [json.loads(payload) for payload in after.payloads("perch/t/tally")]
    counts = [state["count"] for state in replayed]
    assert counts == list(range(counts[0], counts[0] + len(counts))), "replayed in order with no gap"
    assert counts[0] <= seen_before[-1]["count"] + 1, (
        "nothing between the last live reading and the replay lost"
    )
    assert len(counts) >= 10
    stamps = [state["timestamp"] for state in replayed]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps), "original timestamps kept"


def test_a_broker_outage_mid_run_reconnects_and_delivers_the_backlog(tmp_path):
    agents = f'  - {{name: tally, module: "{COUNTER}", interval: 50ms, label: live-outage}}\n'
    port = free_port()
    broker = start_perch_broker("--port", str(port), websockets=False)
    try:
        with running(write_config(tmp_path, port, agents)) as runtime:
            with Recorder(port, "perch/t/tally/status") as status:
                wait_until(lambda: status.latest("perch/t/tally/status") == "ok", what="agent running")
            broker.stop()
            wait_until(lambda: len(runtime.spool) >= 10, what="backlog during the outage")
            backlog = len(runtime.spool)
            broker = start_perch_broker("--port", str(port), websockets=False)
            with Recorder(port, "perch/t/tally") as after:
                wait_until(lambda: runtime.publisher.connected.is_set(), timeout=40, what="reconnected")
                wait_until(
                    lambda: len(after.payloads("perch/t/tally")) >= backlog, timeout=20, what="backlog"
                )
            counts = [json.loads(payload)["count"] for payload in after.payloads("perch/t/tally")]
            assert counts == sorted(counts), "in order"
    finally:
        broker.stop()


def test_connected_operation_writes_nothing_to_the_spool_file(tmp_path):
    agents = f'  - {{name: tally, module: "{COUNTER}", interval: 50ms, label: connected}}\n'
    with perch_broker(websockets=False) as broker:
        path = write_config(tmp_path, broker.port, agents)
        with running(path) as runtime, Recorder(broker.port, "perch/t/tally") as seen:
            wait_until(lambda: len(seen.payloads("perch/t/tally")) >= 40, what="40 readings delivered")
            wait_until(lambda: len(runtime.spool) == 0, what="every reading acknowledged")
            assert runtime.spool.commits == 0, "acknowledged readings were written to the SD card"
            broker.stop()
            wait_until(lambda: not runtime.publisher.connected.is_set(), what="disconnected")
            wait_until(lambda: runtime.spool.commits >= 1, timeout=20, what="outage readings on disk")
