"""LEDs on a GPIO output, shown in Home Assistant as a light."""

from __future__ import annotations

from gpiozero import LED

from agents.drivers.switching import SwitchedOutput, SwitchOptions


class Led(SwitchedOutput):
    type_name = "led"
    summary = "LED on a GPIO: ON/OFF/TOGGLE commands, safe initial state, optional timed pulse"
    Options = SwitchOptions
    component = "light"
    device_type = LED


DRIVERS = (Led,)
