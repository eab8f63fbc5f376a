"""HC-SR04 ultrasonic distance sensors through gpiozero's DistanceSensor (trigger and echo pins)."""

# ruff: noqa: RUF009 - option() returns a dataclasses.field, like field() itself

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from time import monotonic, sleep
from typing import Any

from gpiozero import DistanceSensor
from gpiozero.exc import DistanceSensorNoEcho, PWMSoftwareFallback

from agents.drivers.base import Driver, Quantity, ReadError, Readings
from agents.drivers.options import Duration, GpioPin, option

FIRST_ECHO_WAIT = 1.0  # seconds read() waits for the sampling thread's first echo


class EchoTimedDistanceSensor(DistanceSensor):
    """gpiozero's DistanceSensor, remembering when the last echo came back.

    Its median queue keeps old samples when echoes stop (a loose wire), so without this a dead sensor
    would keep reporting its last distance forever.
    """

    last_echo: float | None = None

    def _read(self) -> float | None:
        value = super()._read()
        if value is not None:
            self.last_echo = monotonic()
        return value


@dataclass
class Options:
    trigger: GpioPin = option(help="GPIO wired to the sensor's TRIG")
    echo: GpioPin = option(help="GPIO wired to ECHO (through a divider: ECHO is 5 V)")
    max_distance: float = option(200.0, minimum=2.0, maximum=400.0, help="farthest distance reported, cm")
    queue_len: int = option(
        9, minimum=1, maximum=50, help="echoes (about 16 per second) whose median is reported"
    )
    first_echo_timeout: Duration = option(FIRST_ECHO_WAIT, help="how long a read waits for the first echo")


class Distance(Driver):
    type_name = "distance"
    summary = "HC-SR04 ultrasonic distance sensor: distance in cm (median of recent echoes)"
    Options = Options
    echo_stale_after = 1.0  # seconds without an echo after which the median is no longer trusted

    def __init__(self, options: Options, hardware: Any) -> None:
        super().__init__(options, hardware)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PWMSoftwareFallback)
            self.device = EchoTimedDistanceSensor(
                echo=options.echo,
                trigger=options.trigger,
                max_distance=options.max_distance / 100,
                queue_len=options.queue_len,
                partial=True,
                pin_factory=hardware.pin_factory,
            )

    def quantities(self) -> list[Quantity]:
        return [Quantity("distance", "cm", "distance", precision=1)]

    def _has_recent_echo(self) -> bool:
        last_echo = self.device.last_echo
        return last_echo is not None and monotonic() - last_echo <= self.echo_stale_after

    def read(self) -> Readings:
        deadline = monotonic() + self.options.first_echo_timeout
        while not self._has_recent_echo():
            if monotonic() >= deadline:
                raise ReadError(f"no echo from the HC-SR04 on {self.options.echo} (wiring, or 5 V ECHO?)")
            sleep(0.02)
        distance = self.device.distance * 100
        if not math.isfinite(distance):
            raise ReadError(f"implausible distance {distance}")
        return {"distance": distance}

    def close(self) -> None:
        self.device.close()

    @classmethod
    def simulate(cls, options: Options, simulation: Any) -> None:
        """Something moves slowly back and forth in front of the sensor."""
        from agents.sim.pins import distance_pins, replace_background

        warnings.simplefilter("ignore", DistanceSensorNoEcho)
        sensor = distance_pins(simulation.pin_factory, options.echo, options.trigger)
        span = options.max_distance / 100

        def sway(now: float) -> None:
            sensor.distance = span * (0.45 + 0.3 * math.sin(now / 20))

        sway(0.0)
        replace_background(simulation, ("pin", options.trigger), sway)


DRIVERS = (Distance,)
