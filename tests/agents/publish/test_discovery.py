import json

from agents.drivers.base import Quantity
from agents.publish.discovery import config_topic, discovery_config, discovery_messages
from agents.publish.topics import Topics

TOPICS = Topics("perch", "shed")


def test_sensor_config():
    quantity = Quantity("temperature", "°C", "temperature", "measurement")
    assert config_topic("homeassistant", "shed", "climate", quantity) == (
        "homeassistant/sensor/shed_climate_temperature/config"
    )
    config = discovery_config(TOPICS, "shed", "climate", quantity)
    assert config["state_topic"] == "perch/shed/climate/temperature"
    assert config["unique_id"] == "perch_shed_climate_temperature"
    assert (config["unit_of_measurement"], config["device_class"], config["state_class"]) == (
        "°C", "temperature", "measurement")  # fmt: skip
    assert config["device"]["identifiers"] == ["perch_shed"]
    assert config["availability_mode"] == "all"
    assert [entry["topic"] for entry in config["availability"]] == [
        "perch/shed/status",
        "perch/shed/climate/status",
    ]
    assert "command_topic" not in config


def test_outputs_get_command_topics():
    switch = discovery_config(
        TOPICS, "shed", "fan", Quantity("state", None, None, None, "switch", writable=True)
    )
    assert switch["command_topic"] == "perch/shed/fan/set"
    assert (switch["payload_on"], switch["state_off"]) == ("ON", "OFF")
    number = discovery_config(TOPICS, "shed", "dimmer", Quantity("level", "%", None, None, "number", True))
    assert (number["command_topic"], number["min"], number["max"]) == ("perch/shed/dimmer/set", 0, 100)
    assert "state_class" not in number


def test_binary_sensor_payloads():
    config = discovery_config(TOPICS, "shed", "door", Quantity("state", None, "door", None, "binary_sensor"))
    assert (config["payload_on"], config["payload_off"], config["device_class"]) == ("ON", "OFF", "door")


def test_events_are_not_announced():
    door = Quantity("state", None, "door", None, "binary_sensor")
    quantities = [door, Quantity("event", component="event")]
    messages = discovery_messages("ha", TOPICS, "shed", "door", quantities)
    assert list(messages) == ["ha/binary_sensor/shed_door_state/config"]
    assert json.loads(messages["ha/binary_sensor/shed_door_state/config"])["name"] == "door state"
