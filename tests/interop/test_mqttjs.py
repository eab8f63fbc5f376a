"""MQTT.js (npm `mqtt` 5, pinned by js/package-lock.json) over TCP and WebSockets, protocol 4 (3.1.1) and 5.

Each test runs `js/scenario.js` with a JSON scenario; the script reports what it saw and the test judges it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.interop.brokers import unique_id
from tests.support.tools import missing, require_tool

pytestmark = pytest.mark.interop

JS_DIR = Path(__file__).parent / "js"
TRANSPORTS = [pytest.param("tcp", id="tcp"), pytest.param("ws", id="ws")]
VERSIONS = [pytest.param(4, id="v311"), pytest.param(5, id="v5")]
V5_PROPERTIES = {
    "payloadFormatIndicator": True,
    "contentType": "application/json",
    "responseTopic": "js/reply",
    "correlationData": "0a0b0c",
    "userProperties": {"first": "1", "second": ["2a", "2b"], "third": "3"},
    "messageExpiryInterval": 90,
}


def scenario_table() -> dict[str, dict]:
    """Every scenario the tests below judge, keyed by name (one Node process runs them all concurrently)."""
    table: dict[str, dict] = {}
    for transport in ("tcp", "ws"):
        for version in (4, 5):
            base = {"transport": transport, "protocolVersion": version}
            for qos in (0, 1, 2):
                table[f"order-{transport}-{version}-{qos}"] = {
                    **base,
                    "scenario": "pubsub",
                    "qos": qos,
                    "count": 100,
                }
            table[f"retained-{transport}-{version}"] = {**base, "scenario": "retained"}
            table[f"will-lost-{transport}-{version}"] = {**base, "scenario": "will", "abnormal": True}
            table[f"will-clean-{transport}-{version}"] = {**base, "scenario": "will", "abnormal": False}
        table[f"props-{transport}"] = {
            "transport": transport,
            "protocolVersion": 5,
            "scenario": "pubsub",
            "qos": 1,
            "count": 1,
            "properties": V5_PROPERTIES,
        }
    return table


def run_scenarios(broker, table: dict[str, dict]) -> dict[str, dict]:
    node = require_tool("node", "nodejs")
    if not (JS_DIR / "node_modules" / "mqtt").is_dir():
        missing("MQTT.js is not installed: run `npm ci` in tests/interop/js (scripts/test does)")
    specs = []
    for name, entry in table.items():
        spec = dict(entry, id=unique_id("js"), topic=unique_id(f"js/{name}"))
        transport = spec.pop("transport")
        spec["url"] = (
            f"ws://{broker.host}:{broker.ws_port}/mqtt"
            if transport == "ws"
            else f"mqtt://{broker.host}:{broker.port}"
        )
        specs.append(spec)
    result = subprocess.run(
        [node, "scenario.js", json.dumps(specs)], cwd=JS_DIR, capture_output=True, text=True, timeout=60
    )
    lines = result.stdout.strip().splitlines()
    assert lines, f"scenario.js printed nothing; stderr: {result.stderr}"
    reports = json.loads(lines[-1])
    assert isinstance(reports, list), reports
    return {
        name: dict(report, topic=spec["topic"])
        for name, spec, report in zip(table, specs, reports, strict=True)
    }


@pytest.fixture(scope="module")
def mqttjs(broker_pool) -> dict[str, dict]:
    """Reports of every MQTT.js scenario, run once per module against the module's broker."""
    return run_scenarios(broker_pool.current(), scenario_table())


def report_of(reports: dict[str, dict], name: str) -> dict:
    report = reports[name]
    assert "error" not in report, report["error"]
    return report


@pytest.mark.parametrize("qos", [0, 1, 2])
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_many_messages_in_order_at_each_qos(mqttjs, transport, version, qos):
    """[MQTT-3.8.4-6] SUBACK grants the QoS; [MQTT-3.3.5-1] delivery at that QoS; [MQTT-4.6.0-6] in order;
    [MQTT-4.3.3-*] QoS 2 exactly once (no duplicates among 100 messages)."""
    report = report_of(mqttjs, f"order-{transport}-{version}-{qos}")
    assert report["granted"] == [qos]
    received = report["received"]
    assert [m["payload"] for m in received] == [str(number) for number in range(100)]
    assert {(m["topic"], m["qos"], m["retain"]) for m in received} == {(report["topic"], qos, False)}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_retained_message_set_delivered_and_cleared(mqttjs, transport, version):
    """3.1.1 [MQTT-3.3.1-5]/[MQTT-3.3.1-6]/[MQTT-3.3.1-8] retained and sent with RETAIN=1 on subscribe;
    [MQTT-3.3.1-10]/[MQTT-3.3.1-11] an empty retained payload deletes it."""
    report = report_of(mqttjs, f"retained-{transport}-{version}")
    assert [(m["payload"], m["retain"]) for m in report["beforeClear"]] == [("kept", True)]
    assert report["afterClear"] == []


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_will_on_abnormal_close_only(mqttjs, transport, version):
    """[MQTT-3.1.2-8] the will is published when the network connection drops without DISCONNECT, and
    [MQTT-3.1.2-10] discarded after a normal DISCONNECT; v5 will properties are forwarded [MQTT-3.3.2-17]."""
    (will,) = report_of(mqttjs, f"will-lost-{transport}-{version}")["received"]
    assert (will["payload"], will["qos"]) == ("offline", 1)
    if version == 5:
        assert will["properties"]["userProperties"] == {"reason": "lost"}
    assert report_of(mqttjs, f"will-clean-{transport}-{version}")["received"] == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_v5_properties_and_user_properties(mqttjs, transport):
    """[MQTT-3.3.2-4] payload format, [MQTT-3.3.2-20] content type, [MQTT-3.3.2-15] response topic,
    [MQTT-3.3.2-16] correlation data, [MQTT-3.3.2-17]/[MQTT-3.3.2-18] user properties (order kept)."""
    (message,) = report_of(mqttjs, f"props-{transport}")["received"]
    received = message["properties"]
    assert received["payloadFormatIndicator"] is True
    assert received["contentType"] == "application/json"
    assert received["responseTopic"] == "js/reply"
    assert received["correlationData"] == {"hex": "0a0b0c"}
    assert list(received["userProperties"].items()) == [
        ("first", "1"),
        ("second", ["2a", "2b"]),
        ("third", "3"),
    ]
    assert 88 <= received["messageExpiryInterval"] <= 90
