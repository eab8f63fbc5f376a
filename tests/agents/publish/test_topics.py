import json

from agents.drivers.base import Quantity
from agents.publish.topics import Topics, format_value, meta_payload, state_payload, timestamp


def test_topic_scheme():
    topics = Topics("perch", "greenhouse")
    assert topics.quantity("climate", "temperature") == "perch/greenhouse/climate/temperature"
    assert topics.agent_state("climate") == "perch/greenhouse/climate"
    assert topics.agent_status("climate") == "perch/greenhouse/climate/status"
    assert topics.node_status == "perch/greenhouse/status"
    assert topics.command("fan") == "perch/greenhouse/fan/set"


def test_plain_payloads():
    assert [format_value(v) for v in (21.4, 21.0, 3, True, False, "press", -0.5)] == [
        "21.4", "21", "3", "ON", "OFF", "press", "-0.5"
    ]  # fmt: skip


def test_state_payload_has_readings_and_utc_timestamp():
    payload = json.loads(state_payload({"temperature": 21.4, "door": True}, 1700000000.25))
    assert payload == {"temperature": 21.4, "door": "ON", "timestamp": "2023-11-14T22:13:20.250Z"}
    assert timestamp(0) == "1970-01-01T00:00:00.000Z"


def test_meta_payload_lists_units():
    meta = json.loads(meta_payload("bme280", 30.0, [Quantity("temperature", "°C", "temperature")]))
    assert meta["type"] == "bme280" and meta["interval"] == 30.0
    assert meta["quantities"]["temperature"]["unit"] == "°C"
