"""Mock pins that behave like the circuits the GPIO drivers read, for tests and simulation.

They all derive from gpiozero's ``MockPWMPin`` because ``SimulatedHardware.pin_factory`` makes PWM pins by
default and MockFactory refuses to hand an existing pin of another kind to a device. Create them with
``factory.pin("GPIO17", pin_class=...)`` *before* the driver builds its gpiozero device; the device then
gets the same pin object.

Timing is synthetic where gpiozero measures it (echo pulse width, capacitor charge time): the pins report
edges with computed timestamps instead of sleeping, so readings are exact and tests need no waits.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from time import monotonic
from typing import Any

from gpiozero.pins.mock import MockPWMPin, PinState
from gpiozero.pins.pi import PiPin

SPEED_OF_SOUND = 343.26  # m/s, the value gpiozero's DistanceSensor uses


class TimedPin(MockPWMPin):
    """A mock input pin that can be driven with an explicit edge timestamp."""

    def drive_at(self, level: bool, timestamp: float) -> None:
        assert self._function == "input"
        if self._state == level:
            return
        self._state = level
        self.states.append(PinState(timestamp - self._last_change, level))
        self._last_change = timestamp
        wanted = ("both", "rising") if level else ("both", "falling")
        if self._edges in wanted and self._when_changed is not None:
            self._call_when_changed()


class DebouncedPin(TimedPin):
    """An input whose edge events honour ``bounce`` the way lgpio debounces: a new level is reported only
    after it has stayed unchanged for the bounce time, so contact chatter never reaches the device.
    MockPin itself ignores ``bounce``."""

    def __init__(self, factory: Any, info: Any) -> None:
        super().__init__(factory, info)
        self._settle_timer: threading.Timer | None = None
        self._reported_state: bool | None = None

    def _call_when_changed(self) -> None:
        if not self._bounce:
            self._reported_state = bool(self._state)
            super()._call_when_changed()
            return
        if self._settle_timer is not None:
            self._settle_timer.cancel()
        timer = threading.Timer(self._bounce, self._settled, (self._last_change, bool(self._state)))
        timer.daemon = True
        self._settle_timer = timer
        timer.start()

    def _settled(self, ticks: float, level: bool) -> None:
        if self._state != level or self._when_changed is None or level == self._reported_state:
            return
        self._reported_state = level
        PiPin._call_when_changed(self, ticks, level)

    def close(self) -> None:
        if self._settle_timer is not None:
            self._settle_timer.cancel()
        super().close()


class ChargingPin(TimedPin):
    """An LDR and capacitor on one pin (gpiozero LightSensor): after the pin turns into an input, it
    reads high once the capacitor has charged, ``charge_time`` seconds later (more light, less time).
    ``charge_time=None`` is darkness: the pin never rises."""

    def __init__(self, factory: Any, info: Any) -> None:
        super().__init__(factory, info)
        self.charge_time: float | None = 0.005

    def _set_function(self, value: str) -> None:
        super()._set_function(value)
        if value == "input" and self.charge_time is not None:
            self.drive_at(True, monotonic() + self.charge_time)


class TriggerPin(MockPWMPin):
    """The trigger of an HC-SR04: at the end of each trigger pulse the sensor answers on ``echo_pin`` with
    a pulse as long as sound takes to reach ``distance`` metres and come back. ``distance=None`` means
    nothing in range: no echo."""

    def __init__(self, factory: Any, info: Any, echo_pin: TimedPin | None = None) -> None:
        super().__init__(factory, info)
        self.echo_pin = echo_pin
        self.distance: float | None = 0.5

    def _set_state(self, value: float) -> None:
        was_high = bool(self._state)
        super()._set_state(value)
        if was_high and not value and self.echo_pin is not None and self.distance is not None:
            rise = monotonic() + 0.0005  # the sensor sends its 8-cycle burst first
            self.echo_pin.drive_at(True, rise)
            self.echo_pin.drive_at(False, rise + 2 * self.distance / SPEED_OF_SOUND)


def distance_pins(factory: Any, echo: str, trigger: str) -> TriggerPin:
    """Wire an emulated HC-SR04 to ``echo`` and ``trigger``; set ``.distance`` on the result."""
    echo_pin = factory.pin(echo, pin_class=TimedPin)
    trigger_pin = factory.pin(trigger, pin_class=TriggerPin, echo_pin=echo_pin)
    trigger_pin.echo_pin = echo_pin
    return trigger_pin


def drive(pin: Any, level: bool) -> bool:
    """Drive an input pin from a simulation callback; False if the pin is not an input right now."""
    try:
        if level:
            pin.drive_high()
        else:
            pin.drive_low()
    except AssertionError:
        return False
    return True


_BACKGROUND_BY_KEY: weakref.WeakKeyDictionary[Any, dict[Any, Callable[[float], None]]] = (
    weakref.WeakKeyDictionary()
)


def replace_background(simulation: Any, key: Any, fn: Callable[[float], None]) -> None:
    """Register ``fn`` with the simulation, replacing what an earlier ``simulate()`` registered under ``key``.

    The runtime calls ``simulate()`` again whenever it (re)opens an agent: after a failure, or on reload
    with changed options. Without this, each reopen would add another callback driving the same pin.
    """
    registered = _BACKGROUND_BY_KEY.setdefault(simulation, {})
    previous = registered.get(key)
    if previous is not None:
        simulation.remove_background(previous)
    registered[key] = fn
    simulation.add_background(fn)
