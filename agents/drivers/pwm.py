"""PWM outputs (dimmable LED strips through a MOSFET, fan speed): 0-100 % duty cycle."""

# ruff: noqa: RUF009 - option() returns a dataclasses.field, like field() itself

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from gpiozero import PWMOutputDevice

from agents.drivers.base import CommandError, Driver, Quantity, Readings
from agents.drivers.gpio_common import OFF_WORDS, ON_WORDS
from agents.drivers.options import GpioPin, Percent, option


@dataclass
class Options:
    pin: GpioPin = option(help="GPIO driving the MOSFET or fan PWM input")
    frequency: int = option(100, minimum=1, maximum=50_000, help="PWM frequency in Hz (fans: 25000)")
    active_high: bool = option(True, help="100 % means the pin is always high; false inverts")
    initial: Percent = option(0.0, minimum=0, maximum=100, help="safe level: set at start and on stop")


def parse_level(payload: str | bytes, current: float) -> float:
    """A 0-100 % level from ``42``, ``42.5``, ``ON`` (100), ``OFF`` (0) or ``TOGGLE``."""
    if isinstance(payload, bytes):
        payload = payload.decode("utf-8", "replace")
    word = payload.strip().lower().removesuffix("%").strip()
    if word in ON_WORDS - {"1"}:
        return 100.0
    if word in OFF_WORDS - {"0"}:
        return 0.0
    if word == "toggle":
        return 0.0 if current > 0 else 100.0
    try:
        level = float(word)
    except ValueError:
        raise CommandError(
            f"expected a level 0-100, ON, OFF or TOGGLE, got {payload.strip()[:40]!r}"
        ) from None
    if not math.isfinite(level) or not 0 <= level <= 100:
        raise CommandError(f"level must be between 0 and 100, got {payload.strip()[:40]!r}")
    return level


class Pwm(Driver):
    type_name = "pwm"
    summary = "PWM output on a GPIO: level 0-100 % from .../set, frequency, safe initial level"
    Options = Options

    def __init__(self, options: Options, hardware: Any) -> None:
        super().__init__(options, hardware)
        self.device = PWMOutputDevice(
            options.pin,
            active_high=options.active_high,
            initial_value=options.initial / 100,
            frequency=options.frequency,
            pin_factory=hardware.pin_factory,
        )

    def quantities(self) -> list[Quantity]:
        return [Quantity("level", "%", None, None, component="number", writable=True, precision=1)]

    def read(self) -> Readings:
        return {"level": round(self.device.value * 100, 3)}

    def command(self, payload: str) -> Readings:
        self.device.value = parse_level(payload, self.device.value * 100) / 100
        return self.read()

    def close(self) -> None:
        if not self.device.closed:
            self.device.value = self.options.initial / 100
            self.device.close()

    @classmethod
    def simulate(cls, options: Options, simulation: Any) -> None:
        """Nothing to emulate: the mock PWM pin records the duty cycle."""


DRIVERS = (Pwm,)
