"""Filters that decide *when* to pass values on: throttle, heartbeat, delta."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents.drivers.options import Duration, option
from agents.filters.base import Filter, Value, is_number


@dataclass
class Throttle(Filter):
    name = "throttle"
    summary = "pass at most one value per period (the first, then drop until the period is over)"
    shorthand = "period"
    numeric = False
    period: Duration = option(help="shortest time between two values")  # noqa: RUF009
    last_sent: float | None = field(init=False, default=None, repr=False)

    def apply(self, value: Any, now: float) -> Value | None:
        if self.last_sent is not None and now - self.last_sent < self.period:
            return None
        self.last_sent = now
        return value


@dataclass
class Heartbeat(Filter):
    name = "heartbeat"
    summary = "send the latest value once per period, whether it changed or not (checked every poll)"
    shorthand = "period"
    numeric = False
    period: Duration = option(help="time between two values sent")  # noqa: RUF009
    optimistic: bool = option(False, help="also pass every incoming value on at once")
    latest: Any = field(init=False, default=None, repr=False)
    last_sent: float | None = field(init=False, default=None, repr=False)

    def apply(self, value: Any, now: float) -> Value | None:
        self.latest = value
        if self.last_sent is None:
            self.last_sent = now  # the first beat is one period after the first value
        return value if self.optimistic else None

    def tick(self, now: float) -> Value | None:
        if self.latest is None or self.last_sent is None or now - self.last_sent < self.period:
            return None
        self.last_sent = now
        return self.latest


@dataclass
class Delta(Filter):
    name = "delta"
    summary = "pass a value only when it differs from the last one passed by at least this (or N%)"
    shorthand = "change"
    numeric = False
    change: float | str = option(
        help="minimum change, absolute (0.5) or relative ('10%'); 0 passes any change"
    )
    last: Any = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        text = str(self.change).strip()
        self.relative = text.endswith("%")
        try:
            self.threshold = float(text.removesuffix("%")) / (100 if self.relative else 1)
        except ValueError:
            raise ValueError(f"expected a change such as 0.5 or '10%', got {self.change!r}") from None

    def apply(self, value: Any, now: float) -> Value | None:
        if self.last is None or self.has_changed(value):
            self.last = value
            return value
        return None

    def has_changed(self, value: Any) -> bool:
        if not (is_number(value) and is_number(self.last)):
            return value != self.last
        difference = abs(value - self.last)
        if self.threshold == 0:
            return difference > 0
        limit = self.threshold * abs(self.last) if self.relative else self.threshold
        return difference >= limit
