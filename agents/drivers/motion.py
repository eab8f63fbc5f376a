"""PIR motion sensors (HC-SR501, AM312) on a GPIO input."""

# ruff: noqa: RUF009 - option() returns a dataclasses.field, like field() itself

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gpiozero import MotionSensor

from agents.drivers.base import Driver, Quantity, Readings
from agents.drivers.gpio_common import on_off, wait_for_first_sample
from agents.drivers.options import GpioPin, option


@dataclass
class Options:
    pin: GpioPin = option(help="GPIO wired to the PIR's output")
    pull_up: bool | None = option(False, help="internal pull-up (true), pull-down (false) or none (null)")
    queue_len: int = option(
        1, minimum=1, maximum=100, help="samples averaged (10 per second) to smooth noise"
    )
    threshold: float = option(0.5, minimum=0.0, maximum=1.0, help="share of samples high that means motion")


class Motion(Driver):
    type_name = "motion"
    summary = "PIR motion sensor on a GPIO: motion ON/OFF, reported as it changes"
    Options = Options

    def __init__(self, options: Options, hardware: Any) -> None:
        super().__init__(options, hardware)
        self.device = MotionSensor(
            options.pin,
            pull_up=options.pull_up,
            active_state=None if options.pull_up is not None else True,
            queue_len=options.queue_len,
            threshold=options.threshold,
            partial=True,  # a read never waits for the whole queue to fill
            pin_factory=hardware.pin_factory,
        )

    def quantities(self) -> list[Quantity]:
        return [Quantity("motion", None, "motion", None, component="binary_sensor")]

    def read(self) -> Readings:
        wait_for_first_sample(self.device, 1.0, f"no sample from the PIR on {self.options.pin} yet")
        return {"motion": on_off(self.device.motion_detected)}

    def watch(self, emit: Callable[[Readings], None]) -> None:
        self.device.when_motion = lambda: emit({"motion": "ON"})
        self.device.when_no_motion = lambda: emit({"motion": "OFF"})

    def close(self) -> None:
        self.device.close()

    @classmethod
    def simulate(cls, options: Options, simulation: Any) -> None:
        """Someone walks past now and then; the PIR holds its output high for a few seconds."""
        from agents.sim.pins import TimedPin, drive, replace_background

        pin = simulation.pin_factory.pin(options.pin, pin_class=TimedPin)
        chance = random.Random(options.pin)
        quiet_at = [0.0]

        def walk_past_now_and_then(now: float) -> None:
            if pin.state and now >= quiet_at[0]:
                drive(pin, False)
            elif not pin.state and chance.random() < 0.03:
                quiet_at[0] = now + chance.uniform(2.5, 8.0)
                drive(pin, True)

        replace_background(simulation, ("pin", options.pin), walk_past_now_and_then)


DRIVERS = (Motion,)
