"""Active buzzers on a GPIO output: ON, OFF, or BEEP a few times."""

# ruff: noqa: RUF009 - option() returns a dataclasses.field, like field() itself

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gpiozero import Buzzer as GpioBuzzer

from agents.drivers.base import Readings
from agents.drivers.options import Duration, option
from agents.drivers.switching import SwitchedOutput, SwitchOptions


@dataclass
class BuzzerOptions(SwitchOptions):
    beep_on: Duration = option(0.2, minimum=0.01, help="how long each BEEP sounds")
    beep_off: Duration = option(0.2, minimum=0.01, help="silence between beeps")
    beeps: int = option(3, minimum=1, maximum=100, help="beeps per BEEP command")


class Buzzer(SwitchedOutput):
    type_name = "buzzer"
    summary = "Active buzzer on a GPIO: ON/OFF/TOGGLE, BEEP (a few short beeps), optional timed pulse"
    Options = BuzzerOptions
    device_type = GpioBuzzer

    def command(self, payload: str) -> Readings:
        """BEEP sounds ``beeps`` times in the background, reports ON, and OFF when done."""
        if payload.strip().lower() != "beep":
            return super().command(payload)
        options: BuzzerOptions = self.options
        with self._lock:
            self._cancel_timer()
            self.device.beep(options.beep_on, options.beep_off, n=options.beeps, background=True)
            self._start_timer(options.beeps * (options.beep_on + options.beep_off))
        return {"state": "ON"}

    @classmethod
    def simulate(cls, options: Any, simulation: Any) -> None:
        """Nothing to emulate: the mock pin records the beeps."""


DRIVERS = (Buzzer,)
