"""What on/off outputs share (relay, switch, LED, buzzer): commands, safe state, timed pulses."""

# ruff: noqa: RUF009 - option() returns a dataclasses.field, like field() itself

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from gpiozero import DigitalOutputDevice

from agents.drivers.base import Driver, Quantity, Readings
from agents.drivers.gpio_common import on_off, parse_switch_payload
from agents.drivers.options import Duration, GpioPin, option


@dataclass
class SwitchOptions:
    pin: GpioPin = option(help="GPIO driving the output")
    active_high: bool = option(True, help="on means the pin is high; false for active-low relay boards")
    initial: bool = option(False, help="safe state: set at start and restored on stop (on/off)")
    pulse: Duration | None = option(None, help="if set, ON turns the output off again after this long")


class SwitchedOutput(Driver):
    """An output that is on or off, driven by ``.../set`` payloads; echoes its state as ``state``."""

    component: ClassVar[str] = "switch"
    device_type: ClassVar[type] = DigitalOutputDevice

    def __init__(self, options: SwitchOptions, hardware: Any) -> None:
        super().__init__(options, hardware)
        self._emit: Callable[[Readings], None] | None = None
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self.device = self.device_type(
            options.pin,
            active_high=options.active_high,
            initial_value=options.initial,
            pin_factory=hardware.pin_factory,
        )

    def quantities(self) -> list[Quantity]:
        return [Quantity("state", None, None, None, component=self.component, writable=True)]

    def read(self) -> Readings:
        return {"state": on_off(self.device.is_active)}

    def watch(self, emit: Callable[[Readings], None]) -> None:
        """``emit`` reports the state an output reaches on its own (the end of a pulse)."""
        self._emit = emit

    def command(self, payload: str) -> Readings:
        turn_on = parse_switch_payload(payload, self.device.is_active)
        with self._lock:
            self._cancel_timer()
            self.device.value = turn_on
            if turn_on and self.options.pulse:
                self._start_timer(self.options.pulse)
        return self.read()

    def _start_timer(self, seconds: float) -> None:
        timer = threading.Timer(seconds, self._time_up)
        timer.args = (timer,)  # so a timer that fired just as a newer command replaced it knows it is stale
        timer.daemon = True
        self._timer = timer
        timer.start()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _time_up(self, timer: threading.Timer) -> None:
        with self._lock:
            if self._timer is not timer or self.device.closed:
                return
            self._timer = None
            self.device.off()
        if self._emit:
            self._emit(self.read())

    def close(self) -> None:
        """Back to the safe ``initial`` state, then release the pin."""
        with self._lock:
            self._cancel_timer()
            if not self.device.closed:
                self.device.value = self.options.initial
                self.device.close()

    @classmethod
    def simulate(cls, options: Any, simulation: Any) -> None:
        """Nothing to emulate: the mock PWM pin records whatever the output drives."""
