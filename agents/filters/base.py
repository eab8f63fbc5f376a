"""What every filter shares: numbers in, a number or nothing out, a fresh copy per pipeline."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

Value = float | int | str | bool


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class Filter:
    """A step in a quantity's filter chain, with ESPHome's name and semantics.

    Subclasses are dataclasses: init fields are the YAML options (``shorthand`` names the option a
    scalar sets, as in ``- offset: 2``); non-init fields hold running state, which ``fresh`` resets.
    Numeric filters pass words (``ON``) through unchanged.
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    shorthand: ClassVar[str | None] = None
    numeric: ClassVar[bool] = True

    def process(self, value: Value, now: float) -> Value | None:
        """The value to pass on (None drops it); ``now`` is a monotonic time in seconds."""
        if self.numeric and not is_number(value):
            return value
        return self.apply(value, now)

    def apply(self, value: Any, now: float) -> Value | None:
        raise NotImplementedError

    def tick(self, now: float) -> Value | None:
        """Called every poll even without input; timed filters (heartbeat) emit from here."""
        return None

    def fresh(self) -> Filter:
        return dataclasses.replace(self)  # type: ignore[type-var]


class WindowCounter:
    """ESPHome's ``send_every``/``send_first_at`` counting shared by the window filters."""

    def __init__(self, send_every: int, send_first_at: int) -> None:
        self.send_every = send_every
        self.count = send_every - send_first_at

    def should_send(self) -> bool:
        self.count += 1
        if self.count >= self.send_every:
            self.count = 0
            return True
        return False
