"""Small helpers the GPIO drivers share: ON/OFF words, switch payloads, input pull settings."""

from __future__ import annotations

from time import monotonic, sleep
from typing import Any

from agents.drivers.base import CommandError, ReadError

ON_WORDS = frozenset({"on", "1", "true", "yes", "high"})
OFF_WORDS = frozenset({"off", "0", "false", "no", "low"})


def on_off(flag: bool) -> str:
    """The word Home Assistant's binary_sensor and switch expect by default."""
    return "ON" if flag else "OFF"


def parse_switch_payload(payload: str | bytes, current: bool) -> bool:
    """The state a switch payload asks for: ON/OFF/TOGGLE/1/0/true/false, any case."""
    if isinstance(payload, bytes):
        payload = payload.decode("utf-8", "replace")
    word = payload.strip().lower()
    if word in ON_WORDS:
        return True
    if word in OFF_WORDS:
        return False
    if word == "toggle":
        return not current
    raise CommandError(f"expected ON, OFF, TOGGLE, 1, 0, true or false, got {payload.strip()[:40]!r}")


def input_pull(pull_up: bool | None, active_low: bool | None, pin: str) -> dict[str, Any]:
    """gpiozero's pull_up/active_state arguments for an input.

    With an internal pull resistor the active level follows from it (pull-up: a switch to ground reads
    low when closed); ``active_low`` then must agree. Without one (``pull_up: null``), ``active_low``
    says which level means active and defaults to low.
    """
    if pull_up is None:
        return {"pull_up": None, "active_state": not (True if active_low is None else active_low)}
    if active_low is not None and active_low != pull_up:
        resistor = "pull-up" if pull_up else "pull-down"
        raise ValueError(
            f"{pin}: active_low: {str(active_low).lower()} contradicts the internal {resistor}; "
            "set pull_up: null to choose the active level yourself"
        )
    return {"pull_up": pull_up, "active_state": None}


def active_level(pull_up: bool | None, active_low: bool | None) -> bool:
    """The pin level (True = high) at which an input with these settings is active."""
    return input_pull(pull_up, active_low, "")["active_state"] if pull_up is None else not pull_up


def wait_for_first_sample(device: Any, timeout: float, problem: str) -> None:
    """Wait (at most ``timeout`` s) until a smoothed gpiozero input has sampled once; else ReadError.

    gpiozero's SmoothedInputDevice samples in a background thread into ``_queue.queue``; until the
    first sample its value is a meaningless 0 and its first change fires no event.
    """
    deadline = monotonic() + timeout
    while not device._queue.queue:
        if monotonic() >= deadline:
            raise ReadError(problem)
        sleep(0.01)
