"""Agents -> Perch's broker -> a paho subscriber: topics, retained values, commands, failures."""

from __future__ import annotations

import json

import paho.mqtt.publish as single

from tests.agents.fakes import FRAGILE, INSTANCES, Recorder, wait_until
from tests.agents.runtime.helpers import COUNTER, SWITCH, running, write_config
from tests.agents.runtime.helpers import FRAGILE as FRAGILE_DRIVER


def test_readings_arrive_retained_on_the_expected_topics(perch, tmp_path):
    agents = f'  - {{name: tally, module: "{COUNTER}", interval: 100ms, label: e2e, start: 7}}\n'
    with running(write_config(tmp_path, perch.port, agents)), Recorder(perch.port, "perch/#") as live:
        wait_until(lambda: len(live.payloads("perch/t/tally/count")) >= 3, what="three readings")
        counts = [int(value) for value in live.payloads("perch/t/tally/count")]
        assert counts == list(range(counts[0], counts[0] + len(counts)))  # in order, none skipped
        with Recorder(perch.port, "perch/#") as late:  # a phone app connecting later sees retained state
            wait_until(lambda: late.latest("perch/t/tally/count"), what="retained count")
            retained = {topic: payload for topic, payload, is_retained in late.messages if is_retained}
        assert retained["perch/t/status"] == "online"
        assert retained["perch/t/tally/status"] == "ok"
        assert int(retained["perch/t/tally/count"]) >= 7
        state = json.loads(retained["perch/t/tally"])
        assert isinstance(state["count"], int) and state["count"] >= 7
        assert state["timestamp"].endswith("Z")
        assert json.loads(retained["perch/t/tally/meta"])["quantities"]["count"]["unit"] == "items"
    with Recorder(perch.port, "perch/t/status") as after:
        wait_until(lambda: after.latest("perch/t/status") == "offline", what="offline after stop")


def test_commands_are_applied_and_echoed(perch, tmp_path):
    agents = f'  - {{name: fan, module: "{SWITCH}", interval: 1h, label: fan}}\n'
    with running(write_config(tmp_path, perch.port, agents)), Recorder(perch.port, "perch/t/fan/#") as live:
        wait_until(lambda: live.latest("perch/t/fan/state") == "OFF", what="initial state")
        wait_until(lambda: live.latest("perch/t/fan/status") == "ok", what="subscribed to set")
        single.single("perch/t/fan/set", "ON", qos=1, hostname="127.0.0.1", port=perch.port)
        wait_until(lambda: live.latest("perch/t/fan/state") == "ON", what="echoed ON")
        assert INSTANCES["fan"].is_on is True
        single.single("perch/t/fan/set", "BANANA", qos=1, hostname="127.0.0.1", port=perch.port)
        single.single("perch/t/fan/set", "OFF", qos=1, hostname="127.0.0.1", port=perch.port)
        wait_until(lambda: live.latest("perch/t/fan/state") == "OFF", what="echoed OFF")
        assert live.payloads("perch/t/fan/state").count("ON") == 1  # the bad command changed nothing


def test_a_sensor_failing_mid_run_is_reported_and_the_others_continue(perch, tmp_path):
    agents = (
        f'  - {{name: flaky, module: "{COUNTER}", interval: 100ms, label: flaky}}\n'
        f'  - {{name: steady, module: "{COUNTER}", interval: 100ms, label: steady}}\n'
    )
    with running(write_config(tmp_path, perch.port, agents)), Recorder(perch.port, "perch/t/#") as live:
        wait_until(lambda: live.latest("perch/t/flaky/status") == "ok", what="flaky ok")
        INSTANCES["flaky"].failing = "NACK from 0x76 (unplugged?)"
        wait_until(lambda: live.latest("perch/t/flaky/status") == "error: NACK from 0x76 (unplugged?)")
        steady_before = len(live.payloads("perch/t/steady/count"))
        flaky_before = len(live.payloads("perch/t/flaky/count"))
        wait_until(
            lambda: len(live.payloads("perch/t/steady/count")) >= steady_before + 3, what="steady goes on"
        )
        assert len(live.payloads("perch/t/flaky/count")) == flaky_before
        assert live.latest("perch/t/steady/status") == "ok"
        INSTANCES["flaky"].failing = None
        wait_until(lambda: live.latest("perch/t/flaky/status") == "ok", what="flaky recovered")
        wait_until(
            lambda: len(live.payloads("perch/t/flaky/count")) > flaky_before, what="flaky publishes again"
        )


def test_filters_apply_in_order(perch, tmp_path):
    agents = (
        f'  - name: scaled\n    module: "{COUNTER}"\n    interval: 100ms\n    label: scaled\n'
        "    step: 0.123456\n"
        "    filters: [{multiply: 10}, {offset: 1}, {round: 2}]\n"
    )
    with (
        running(write_config(tmp_path, perch.port, agents)),
        Recorder(perch.port, "perch/t/scaled/count") as live,
    ):
        wait_until(lambda: len(live.payloads("perch/t/scaled/count")) >= 3, what="readings")
        values = [float(value) for value in live.payloads("perch/t/scaled/count")[:3]]
        first = round((values[0] - 1) / 10 / 0.123456)
        assert values == [round((first + i) * 0.123456 * 10 + 1, 2) for i in range(3)]


def test_home_assistant_discovery_and_reannouncement(perch, tmp_path):
    agents = f'  - {{name: fan, module: "{SWITCH}", interval: 1h, label: ha}}\n'
    topic = "homeassistant/switch/t_fan_state/config"
    with running(write_config(tmp_path, perch.port, agents)), Recorder(perch.port, "homeassistant/#") as ha:
        wait_until(lambda: ha.latest(topic), what="discovery config")
        config = json.loads(ha.latest(topic))
        assert config["command_topic"] == "perch/t/fan/set"
        assert config["state_topic"] == "perch/t/fan/state"
        assert config["device"]["name"] == "t"
        announced = len(ha.payloads(topic))
        single.single("homeassistant/status", "online", hostname="127.0.0.1", port=perch.port)
        wait_until(lambda: len(ha.payloads(topic)) > announced, what="re-announcement after HA restart")


def test_a_driver_that_cannot_start_is_retried_without_leaking_or_reattaching(perch, tmp_path):
    agents = f'  - {{name: probe, module: "{FRAGILE_DRIVER}", interval: 100ms, label: start-fail}}\n'
    path = write_config(tmp_path, perch.port, agents)
    with running(path, simulate=True), Recorder(perch.port, "perch/t/probe/#") as live:
        wait_until(
            lambda: live.latest("perch/t/probe/status") == "error: OSError: [Errno 121] Remote I/O error"
        )
        wait_until(lambda: FRAGILE["start-fail"]["closed"] >= 2, what="retries, each closing its attempt")
        FRAGILE["start-fail"]["broken"] = False
        wait_until(lambda: live.latest("perch/t/probe/value") == "1.5", what="readings once it starts")
        assert live.latest("perch/t/probe/status") == "ok"
    assert FRAGILE["start-fail"]["simulated"] == 1, "the emulation is attached once, not per retry"
