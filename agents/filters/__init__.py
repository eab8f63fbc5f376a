"""Filters per quantity, in order, with ESPHome's names and semantics.

In YAML a chain is a list of one-key mappings (``[{offset: -0.4}, {round: 1}]``), either for every
quantity of an agent or per quantity (``filters: {temperature: [...]}``).
"""

from __future__ import annotations

from typing import Any

from agents.config.errors import YamlPath
from agents.config.schema import INVALID, Schema, suggestion
from agents.filters.base import Filter, Value
from agents.filters.timing import Delta, Heartbeat, Throttle
from agents.filters.values import CalibrateLinear, Clamp, FilterOut, Multiply, Offset, Round
from agents.filters.windows import ExponentialMovingAverage, Median, SlidingWindowMovingAverage

FILTERS: dict[str, type[Filter]] = {
    cls.name: cls
    for cls in (
        Offset, Multiply, CalibrateLinear, Clamp, FilterOut, Round, Median, SlidingWindowMovingAverage,
        ExponentialMovingAverage, Throttle, Heartbeat, Delta,
    )
}  # fmt: skip


def parse_filter(schema: Schema, item: Any, path: YamlPath) -> Filter | None:
    """One ``{name: options}`` entry; records an error and returns None when it is wrong."""
    if isinstance(item, str) and item in FILTERS:
        item = {item: None}
    if not isinstance(item, dict) or len(item) != 1:
        schema.error(path, "expected one filter such as {offset: 1.5} or {round: 1}")
        return None
    ((name, options),) = item.items()
    cls = FILTERS.get(name)
    if cls is None:
        schema.error((*path, name), f"unknown filter {name!r}{suggestion(name, FILTERS)}", key=True)
        return None
    if cls.shorthand and not isinstance(options, dict):
        options = {cls.shorthand: options}
        schema.document.alias((*path, name), (*path, name, cls.shorthand))
    built = schema.build(cls, options, (*path, name))
    return None if built is INVALID else built


def parse_chain(schema: Schema, value: Any, path: YamlPath) -> list[Filter] | None:
    if not isinstance(value, list):
        schema.error(path, "expected a list of filters such as [{offset: -0.4}, {round: 1}]")
        return None
    chain = [parse_filter(schema, item, (*path, index)) for index, item in enumerate(value)]
    return None if any(step is None for step in chain) else chain  # type: ignore[return-value]


def parse_filters(schema: Schema, value: Any, path: YamlPath) -> dict[str | None, list[Filter]] | None:
    """``{None: chain}`` for a chain applied to every quantity, else ``{quantity: chain}``."""
    if value is None:
        return {}
    if isinstance(value, dict):
        chains = {
            str(quantity): parse_chain(schema, item, (*path, quantity)) for quantity, item in value.items()
        }
        return None if any(chain is None for chain in chains.values()) else chains  # type: ignore[return-value]
    chain = parse_chain(schema, value, path)
    return None if chain is None else {None: chain}


class Pipeline:
    """A running chain: fresh filter state, values in, zero or one value out per call."""

    def __init__(self, chain: list[Filter]) -> None:
        self.steps = [step.fresh() for step in chain]

    def process(self, value: Value, now: float, start: int = 0) -> Value | None:
        for step in self.steps[start:]:
            result = step.process(value, now)
            if result is None:
                return None
            value = result
        return value

    def tick(self, now: float) -> list[Value]:
        """Values timed filters emit without input, each passed through the steps after them."""
        emitted = []
        for index, step in enumerate(self.steps):
            value = step.tick(now)
            if value is not None:
                result = self.process(value, now, index + 1)
                if result is not None:
                    emitted.append(result)
        return emitted


__all__ = ["FILTERS", "Filter", "Pipeline", "parse_filters"]
