"""Home Assistant MQTT discovery: one config message per quantity, one device per node.

Config topics are ``{ha_prefix}/{component}/{node}_{agent}_{quantity}/config`` (retained). A quantity
is available while the node is ``online`` *and* its agent reports ``ok``. Outputs get a command topic
(``{prefix}/{node}/{agent}/set``). Event quantities (button presses) are not announced: Home
Assistant's ``event`` entities need a fixed list of event types that agents do not declare.
"""

from __future__ import annotations

import json
from typing import Any

from agents.drivers.base import Quantity
from agents.publish.topics import Topics

ANNOUNCED_COMPONENTS = {"sensor", "binary_sensor", "switch", "light", "number"}


def object_id(node: str, agent: str, quantity: str) -> str:
    return f"{node}_{agent}_{quantity}"


def config_topic(ha_prefix: str, node: str, agent: str, quantity: Quantity) -> str:
    return f"{ha_prefix}/{quantity.component}/{object_id(node, agent, quantity.name)}/config"


def device(node: str) -> dict[str, Any]:
    return {
        "identifiers": [f"perch_{node}"],
        "name": node,
        "manufacturer": "Perch",
        "model": "Raspberry Pi sensor node",
    }


def availability(topics: Topics, agent: str) -> dict[str, Any]:
    return {
        "availability": [
            {"topic": topics.node_status, "payload_available": "online", "payload_not_available": "offline"},
            {
                "topic": topics.agent_status(agent),
                "value_template": "{{ 'online' if value == 'ok' else 'offline' }}",
            },
        ],
        "availability_mode": "all",
    }


def component_fields(quantity: Quantity, command_topic: str) -> dict[str, Any]:
    """What differs between sensors, binary sensors and the output components."""
    on_off = {"payload_on": "ON", "payload_off": "OFF"}
    if quantity.component == "binary_sensor":
        return on_off
    if quantity.component in ("switch", "light"):
        states = {"state_on": "ON", "state_off": "OFF"} if quantity.component == "switch" else {}
        return {**on_off, **states, "command_topic": command_topic}
    if quantity.component == "number":
        return {"command_topic": command_topic, "min": 0, "max": 100, "step": 1, "mode": "slider"}
    fields: dict[str, Any] = {}
    if quantity.state_class:
        fields["state_class"] = quantity.state_class
    return fields


def discovery_config(topics: Topics, node: str, agent: str, quantity: Quantity) -> dict[str, Any]:
    """The JSON config Home Assistant expects for one quantity."""
    config: dict[str, Any] = {
        "name": f"{agent} {quantity.name}".replace("_", " "),
        "unique_id": f"perch_{object_id(node, agent, quantity.name)}",
        "object_id": object_id(node, agent, quantity.name),
        "state_topic": topics.quantity(agent, quantity.name),
        "device": device(node),
        **availability(topics, agent),
        **component_fields(quantity, topics.command(agent)),
    }
    if quantity.unit:
        config["unit_of_measurement"] = quantity.unit
    if quantity.device_class:
        config["device_class"] = quantity.device_class
    return config


def discovery_messages(
    ha_prefix: str, topics: Topics, node: str, agent: str, quantities: list[Quantity]
) -> dict[str, str]:
    """Config topic -> JSON payload for every announceable quantity of an agent."""
    return {
        config_topic(ha_prefix, node, agent, quantity): json.dumps(
            discovery_config(topics, node, agent, quantity)
        )
        for quantity in quantities
        if quantity.component in ANNOUNCED_COMPONENTS
    }
