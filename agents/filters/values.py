"""Filters that transform values one by one: offset, multiply, calibrate_linear, clamp, filter_out, round."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from agents.drivers.options import option
from agents.filters.base import Filter, Value, is_number

DATAPOINT = re.compile(r"^\s*(-?[\d.]+(?:e-?\d+)?)\s*->\s*(-?[\d.]+(?:e-?\d+)?)\s*$", re.IGNORECASE)


@dataclass
class Offset(Filter):
    name = "offset"
    summary = "add a constant"
    shorthand = "value"
    value: float = option(help="added to every value")

    def apply(self, value: Any, now: float) -> Value | None:
        return value + self.value


@dataclass
class Multiply(Filter):
    name = "multiply"
    summary = "multiply by a constant"
    shorthand = "value"
    value: float = option(help="every value is multiplied by this")

    def apply(self, value: Any, now: float) -> Value | None:
        return value * self.value


def parse_datapoint(point: Any) -> tuple[float, float]:
    """``"1.5 -> 2.0"``, ``[1.5, 2.0]`` or ``{from: 1.5, to: 2.0}`` -> (1.5, 2.0)."""
    if isinstance(point, str) and (match := DATAPOINT.match(point)):
        return float(match.group(1)), float(match.group(2))
    if isinstance(point, list) and len(point) == 2 and all(is_number(x) for x in point):
        return float(point[0]), float(point[1])
    if isinstance(point, dict) and set(point) == {"from", "to"} and all(is_number(x) for x in point.values()):
        return float(point["from"]), float(point["to"])
    raise ValueError(f"expected a datapoint such as '0.0 -> 1.5', got {point!r}")


def least_squares(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Slope and intercept of the least-squares line through ``points``."""
    count = len(points)
    mean_x = sum(x for x, _ in points) / count
    mean_y = sum(y for _, y in points) / count
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        raise ValueError("calibrate_linear needs datapoints with at least two different measured values")
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread
    return slope, mean_y - slope * mean_x


@dataclass
class CalibrateLinear(Filter):
    name = "calibrate_linear"
    summary = "map measured to true values through datapoints (least_squares line or exact segments)"
    shorthand = "datapoints"
    datapoints: list[Any] = option(help="pairs 'measured -> true', at least two")  # noqa: RUF009
    method: str = option("least_squares", help="fit", choices=("least_squares", "exact"))
    points: list[tuple[float, float]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.points = sorted(parse_datapoint(point) for point in self.datapoints)
        if len(self.points) < 2:
            raise ValueError("calibrate_linear needs at least two datapoints")
        self.line = least_squares(self.points)

    def apply(self, value: Any, now: float) -> Value | None:
        if self.method == "least_squares":
            slope, intercept = self.line
            return slope * value + intercept
        segments = list(zip(self.points, self.points[1:], strict=False))
        for (x0, y0), (x1, y1) in segments:
            if value <= x1 or (x1, y1) == segments[-1][1]:
                if x1 == x0:
                    return y1
                return y0 + (value - x0) * (y1 - y0) / (x1 - x0)
        return None


@dataclass
class Clamp(Filter):
    name = "clamp"
    summary = "limit values to [min_value, max_value] (or drop those outside)"
    min_value: float | None = option(None, help="lowest value passed on")
    max_value: float | None = option(None, help="highest value passed on")
    ignore_out_of_range: bool = option(False, help="drop out-of-range values instead of clamping them")

    def apply(self, value: Any, now: float) -> Value | None:
        low = self.min_value if self.min_value is not None else value
        high = self.max_value if self.max_value is not None else value
        if low <= value <= high:
            return value
        return None if self.ignore_out_of_range else min(max(value, low), high)


@dataclass
class FilterOut(Filter):
    name = "filter_out"
    summary = "drop values equal to one of these"
    shorthand = "values"
    numeric = False
    values: float | str | list[float | str] = option(help="a value or a list of values to drop")  # noqa: RUF009

    def apply(self, value: Any, now: float) -> Value | None:
        dropped = self.values if isinstance(self.values, list) else [self.values]
        return None if value in dropped else value


@dataclass
class Round(Filter):
    name = "round"
    summary = "round to this many decimals (half away from zero)"
    shorthand = "decimals"
    decimals: int = option(help="decimals kept", minimum=0, maximum=10)

    def apply(self, value: Any, now: float) -> Value | None:
        rounded = Decimal(repr(value)).quantize(Decimal(1).scaleb(-self.decimals), rounding=ROUND_HALF_UP)
        return int(rounded) if self.decimals == 0 else float(rounded)
