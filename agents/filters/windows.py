"""Filters over recent values: median, sliding_window_moving_average, exponential_moving_average."""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from agents.drivers.options import option
from agents.filters.base import Filter, Value, WindowCounter


@dataclass
class Median(Filter):
    name = "median"
    summary = "median of the last window_size values, sent every send_every values"
    window_size: int = option(5, help="values in the window", minimum=1)
    send_every: int = option(5, help="send one result per this many values", minimum=1)
    send_first_at: int = option(1, help="send the first result after this many values", minimum=1)
    window: deque = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.send_first_at > self.send_every:
            raise ValueError("send_first_at must not exceed send_every")
        self.window = deque(maxlen=self.window_size)
        self.counter = WindowCounter(self.send_every, self.send_first_at)

    def apply(self, value: Any, now: float) -> Value | None:
        self.window.append(value)
        return self.summarise() if self.counter.should_send() else None

    def summarise(self) -> float:
        return statistics.median(self.window)


@dataclass
class SlidingWindowMovingAverage(Median):
    name = "sliding_window_moving_average"
    summary = "mean of the last window_size values, sent every send_every values"
    window_size: int = option(15, help="values in the window", minimum=1)
    send_every: int = option(15, help="send one result per this many values", minimum=1)

    def summarise(self) -> float:
        return sum(self.window) / len(self.window)


@dataclass
class ExponentialMovingAverage(Filter):
    name = "exponential_moving_average"
    summary = "average weighting new values by alpha, sent every send_every values"
    alpha: float = option(0.1, help="weight of each new value", minimum=0, maximum=1)
    send_every: int = option(15, help="send one result per this many values", minimum=1)
    send_first_at: int = option(1, help="send the first result after this many values", minimum=1)
    average: float | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        if self.send_first_at > self.send_every:
            raise ValueError("send_first_at must not exceed send_every")
        self.counter = WindowCounter(self.send_every, self.send_first_at)

    def apply(self, value: Any, now: float) -> Value | None:
        if self.average is None:
            self.average = float(value)
        else:
            self.average = self.alpha * value + (1 - self.alpha) * self.average
        return self.average if self.counter.should_send() else None
