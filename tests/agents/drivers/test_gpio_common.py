"""Payload words and input pull settings shared by the GPIO drivers."""

import pytest

from agents.drivers.base import CommandError
from agents.drivers.gpio_common import active_level, input_pull, on_off, parse_switch_payload


@pytest.mark.parametrize(
    ("payload", "current", "wanted"),
    [("ON", False, True), ("off", True, False), ("1", False, True), ("0", True, False), ("true", False, True),
     ("FALSE", True, False), ("toggle", True, False), ("Toggle", False, True), (b" on\n", False, True)],
)  # fmt: skip
def test_switch_payloads(payload, current, wanted):
    assert parse_switch_payload(payload, current) is wanted


def test_unknown_payload_names_the_accepted_words():
    with pytest.raises(CommandError, match="expected ON, OFF, TOGGLE, 1, 0, true or false, got 'dim'"):
        parse_switch_payload("dim", False)


@pytest.mark.parametrize(
    ("pull_up", "active_low", "arguments", "level"),
    [
        (True, None, {"pull_up": True, "active_state": None}, False),
        (True, True, {"pull_up": True, "active_state": None}, False),
        (False, None, {"pull_up": False, "active_state": None}, True),
        (None, None, {"pull_up": None, "active_state": False}, False),
        (None, False, {"pull_up": None, "active_state": True}, True),
    ],
)
def test_pull_and_active_level(pull_up, active_low, arguments, level):
    assert input_pull(pull_up, active_low, "GPIO4") == arguments
    assert active_level(pull_up, active_low) is level


def test_on_off_words():
    assert (on_off(True), on_off(False)) == ("ON", "OFF")
