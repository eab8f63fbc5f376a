"""Light level from an LDR and a capacitor on one GPIO (gpiozero LightSensor: capacitor charge time)."""

# ruff: noqa: RUF009 - option() returns a dataclasses.field, like field() itself

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from gpiozero import LightSensor

from agents.drivers.base import Driver, Quantity, ReadError, Readings
from agents.drivers.gpio_common import wait_for_first_sample
from agents.drivers.options import Duration, GpioPin, option


@dataclass
class Options:
    pin: GpioPin = option(help="GPIO at the junction of the LDR and the capacitor")
    charge_time_limit: Duration = option(
        0.01, help="charge time that means darkness; raise it for a bigger capacitor or a darker room"
    )
    queue_len: int = option(
        5, minimum=1, maximum=50, help="samples (about 9 per second) whose median is reported"
    )
    first_sample_timeout: Duration = option(1.0, help="how long a read waits for the first sample")


def light_percent(charge_time: float | None, charge_time_limit: float) -> float:
    """0 % (dark: no charge within the limit) to 100 % (instant charge), as gpiozero scales it."""
    if charge_time is None:
        return 0.0
    return 100.0 * (1.0 - min(1.0, charge_time / charge_time_limit))


class Light(Driver):
    type_name = "light"
    summary = "LDR light level from capacitor charge time on one GPIO: 0 % dark to 100 % bright"
    Options = Options

    def __init__(self, options: Options, hardware: Any) -> None:
        super().__init__(options, hardware)
        self.device = LightSensor(
            options.pin,
            queue_len=options.queue_len,
            charge_time_limit=options.charge_time_limit,
            partial=True,
            pin_factory=hardware.pin_factory,
        )

    def quantities(self) -> list[Quantity]:
        return [Quantity("light", "%", None, precision=0)]

    def read(self) -> Readings:
        problem = f"no light sample from {self.options.pin} yet"
        wait_for_first_sample(self.device, self.options.first_sample_timeout, problem)
        percent = self.device.value * 100
        if not math.isfinite(percent):
            raise ReadError(f"implausible light level {percent}")
        return {"light": percent}

    def close(self) -> None:
        self.device.close()

    @classmethod
    def simulate(cls, options: Options, simulation: Any) -> None:
        """Daylight that rises and falls over a few minutes, with passing clouds."""
        from agents.sim.pins import ChargingPin, replace_background

        pin = simulation.pin_factory.pin(options.pin, pin_class=ChargingPin)
        limit = options.charge_time_limit

        def daylight(now: float) -> None:
            brightness = 0.55 + 0.35 * math.sin(now / 90) + 0.05 * math.sin(now / 7)
            pin.charge_time = limit * (1.0 - min(1.0, max(0.0, brightness)))

        daylight(0.0)
        replace_background(simulation, ("pin", options.pin), daylight)


DRIVERS = (Light,)
