"""Relays and other switched loads (fans, pumps, heaters) on a GPIO output."""

from __future__ import annotations

from gpiozero import OutputDevice

from agents.drivers.switching import SwitchedOutput, SwitchOptions


class Relay(SwitchedOutput):
    type_name = "relay"
    summary = "Relay on a GPIO: ON/OFF/TOGGLE commands, safe initial state, optional timed pulse"
    Options = SwitchOptions
    device_type = OutputDevice


class Switch(Relay):
    type_name = "switch"
    summary = "Switched load on a GPIO (same as relay): ON/OFF/TOGGLE, safe initial state, optional pulse"


DRIVERS = (Relay, Switch)
