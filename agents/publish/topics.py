"""The topic scheme and payload formats (see docs/topics.md)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from agents.drivers.base import Quantity, Value


class Topics:
    """Topic names for one node: ``{prefix}/{node}/...``."""

    def __init__(self, prefix: str, node: str) -> None:
        self.base = f"{prefix}/{node}"

    @property
    def node_status(self) -> str:
        return f"{self.base}/status"

    def agent_state(self, agent: str) -> str:
        return f"{self.base}/{agent}"

    def agent_status(self, agent: str) -> str:
        return f"{self.base}/{agent}/status"

    def agent_meta(self, agent: str) -> str:
        return f"{self.base}/{agent}/meta"

    def command(self, agent: str) -> str:
        return f"{self.base}/{agent}/set"

    def quantity(self, agent: str, quantity: str) -> str:
        return f"{self.base}/{agent}/{quantity}"


def format_value(value: Value) -> str:
    """A plain payload: ``21.4``, ``3``, ``ON``/``OFF`` for booleans, words as they are."""
    if isinstance(value, bool):
        return "ON" if value else "OFF"
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
            return str(int(value)) if value != 0 or math.copysign(1, value) > 0 else "0"
        return repr(value)
    return str(value)


def json_value(value: Value) -> Any:
    return format_value(value) if isinstance(value, bool) else value


def timestamp(epoch: float) -> str:
    """ISO 8601 UTC with milliseconds, as in the JSON state."""
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def state_payload(readings: dict[str, Value], epoch: float) -> str:
    return json.dumps(
        {**{name: json_value(v) for name, v in readings.items()}, "timestamp": timestamp(epoch)}
    )


def meta_payload(type_name: str, interval: float, quantities: list[Quantity]) -> str:
    """Units and kinds of an agent's quantities, for dashboards that want more than numbers."""
    described = {
        q.name: {
            "unit": q.unit,
            "device_class": q.device_class,
            "component": q.component,
            "writable": q.writable,
        }
        for q in quantities
    }
    return json.dumps({"type": type_name, "interval": interval, "quantities": described})
