"""Contacts and push buttons on a GPIO input: door/window reed switches, doorbells, wall buttons."""

# ruff: noqa: RUF009 - option() returns a dataclasses.field, like field() itself

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from gpiozero import Button as GpioButton

from agents.drivers.base import Driver, Quantity, Readings
from agents.drivers.gpio_common import active_level, input_pull, on_off
from agents.drivers.options import Duration, GpioPin, option

DEVICE_CLASSES = ("door", "window", "garage_door", "opening", "lock", "safety", "moisture", None)


@dataclass
class ContactOptions:
    pin: GpioPin = option(help="GPIO the switch connects to ground (or to 3.3 V with pull_up: false)")
    pull_up: bool | None = option(True, help="internal pull-up (true), pull-down (false) or none (null)")
    active_low: bool | None = option(
        None, help="the switch is closed when the pin reads low; only needed with pull_up: null"
    )
    bounce_time: Duration | None = option(0.02, help="debounce: a level must hold this long to count")
    invert: bool = option(False, help="report the opposite state (e.g. a normally-closed reed switch)")
    device_class: str | None = option(
        "door", choices=DEVICE_CLASSES, help="Home Assistant device_class of the state"
    )


@dataclass
class ButtonOptions(ContactOptions):
    device_class: str | None = option(
        None, choices=DEVICE_CLASSES, help="Home Assistant device_class of the state"
    )
    hold_time: Duration = option(1.0, minimum=0.05, help="a press held this long is a long_press event")


class Contact(Driver):
    """State ON when the contact is open (door open), as Home Assistant's door/window classes expect."""

    type_name = "contact"
    summary = "Door/window contact (reed switch) on a GPIO: state ON when open, reported as it changes"
    Options = ContactOptions
    on_when_closed = False  # Button overrides: ON while pressed

    def __init__(self, options: ContactOptions, hardware: Any) -> None:
        super().__init__(options, hardware)
        self._emit: Callable[[Readings], None] | None = None
        self.device = GpioButton(
            options.pin,
            bounce_time=options.bounce_time or None,
            pin_factory=hardware.pin_factory,
            **input_pull(options.pull_up, options.active_low, options.pin),
            **self._hold_arguments(),
        )

    def _hold_arguments(self) -> dict[str, Any]:
        return {}

    def state_word(self, closed: bool) -> str:
        return on_off(closed == (self.on_when_closed != self.options.invert))

    def quantities(self) -> list[Quantity]:
        return [Quantity("state", None, self.options.device_class, None, component="binary_sensor")]

    def read(self) -> Readings:
        return {"state": self.state_word(self.device.is_active)}

    def watch(self, emit: Callable[[Readings], None]) -> None:
        """State changes as they happen (after debouncing)."""
        self._emit = emit
        self.device.when_activated = self._closed
        self.device.when_deactivated = self._opened

    def _closed(self) -> None:
        if self._emit:
            self._emit({"state": self.state_word(True)})

    def _opened(self) -> None:
        if self._emit:
            self._emit({"state": self.state_word(False)})

    def close(self) -> None:
        self.device.close()

    @classmethod
    def simulate(cls, options: ContactOptions, simulation: Any) -> None:
        """A door that opens now and then and stays open for a while (about one change a minute)."""
        from agents.sim.pins import DebouncedPin, drive, replace_background

        pin = simulation.pin_factory.pin(options.pin, pin_class=DebouncedPin)
        chance = random.Random(options.pin)
        closed_level = active_level(options.pull_up, options.active_low)

        started = []

        def flip_now_and_then(now: float) -> None:
            if not started:  # the door starts closed (the device, once built, pulls the pin to idle)
                started.append(now)
                drive(pin, closed_level)
            elif chance.random() < 0.015:
                drive(pin, not pin.state)

        replace_background(simulation, ("pin", options.pin), flip_now_and_then)


class Button(Contact):
    """State ON while pressed."""

    type_name = "button"
    summary = "Push button on a GPIO: state ON while pressed, press and long_press events"
    Options = ButtonOptions
    on_when_closed = True
    event_types: ClassVar[tuple[str, ...]] = ("press", "long_press")  # values of the ``event`` quantity

    def __init__(self, options: ButtonOptions, hardware: Any) -> None:
        self._was_held = False
        super().__init__(options, hardware)

    def _hold_arguments(self) -> dict[str, Any]:
        return {"hold_time": self.options.hold_time}

    def quantities(self) -> list[Quantity]:
        return [*super().quantities(), Quantity("event", None, None, None, component="event")]

    def watch(self, emit: Callable[[Readings], None]) -> None:
        """State changes, plus ``press`` on release of a short press and ``long_press`` once held."""
        super().watch(emit)
        self.device.when_held = self._held

    def _closed(self) -> None:
        self._was_held = False
        super()._closed()

    def _opened(self) -> None:
        super()._opened()
        if self._emit and not self._was_held:
            self._emit({"event": "press"})

    def _held(self) -> None:
        self._was_held = True
        if self._emit:
            self._emit({"event": "long_press"})

    @classmethod
    def simulate(cls, options: ButtonOptions, simulation: Any) -> None:
        """Someone presses the button now and then, sometimes long."""
        from agents.sim.pins import DebouncedPin, drive, replace_background

        pin = simulation.pin_factory.pin(options.pin, pin_class=DebouncedPin)
        chance = random.Random(options.pin)
        pressed_level = active_level(options.pull_up, options.active_low)
        release_at = [0.0]

        def press_now_and_then(now: float) -> None:
            if pin.state == pressed_level and now >= release_at[0]:
                drive(pin, not pressed_level)
            elif pin.state != pressed_level and chance.random() < 0.02:
                release_at[0] = now + chance.choice((0.3, 0.3, 2.5))
                drive(pin, pressed_level)

        drive(pin, not pressed_level)
        replace_background(simulation, ("pin", options.pin), press_now_and_then)


DRIVERS = (Contact, Button)
