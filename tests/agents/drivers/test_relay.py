"""Relay/switch outputs: commands, echoes, timed pulse and safe state, on MockFactory pins."""

import threading

import pytest

from agents.drivers.base import CommandError
from agents.drivers.relay import Relay, Switch
from agents.drivers.switching import SwitchOptions
from agents.sim.hardware import SimulatedHardware


@pytest.fixture
def sim(tmp_path):
    with SimulatedHardware(tmp_path) as hardware:
        yield hardware


def levels(pin):
    return [state.state for state in pin.states]


def test_starts_in_the_safe_state_and_follows_commands(sim):
    relay = Relay(SwitchOptions(pin="GPIO27"), sim)
    pin = sim.pin_factory.pin("GPIO27")
    (quantity,) = relay.quantities()
    assert (quantity.name, quantity.component, quantity.writable) == ("state", "switch", True)
    assert relay.read() == {"state": "OFF"}
    assert pin.state == 0
    assert relay.command("ON") == {"state": "ON"}
    assert pin.state == 1
    assert relay.command("toggle") == {"state": "OFF"}
    assert relay.command(" TRUE ") == {"state": "ON"}
    assert relay.command("0") == {"state": "OFF"}
    assert relay.command("1") == {"state": "ON"}
    assert relay.command("false") == {"state": "OFF"}
    relay.close()


@pytest.mark.parametrize("payload", ["", "maybe", "2", "ONN"])
def test_bad_payload_is_a_command_error_and_changes_nothing(sim, payload):
    relay = Relay(SwitchOptions(pin="GPIO27"), sim)
    relay.command("ON")
    with pytest.raises(CommandError, match="expected ON, OFF, TOGGLE"):
        relay.command(payload)
    assert relay.read() == {"state": "ON"}
    relay.close()


def test_active_low_relay_board_drives_the_pin_low_for_on(sim):
    relay = Switch(SwitchOptions(pin="GPIO27", active_high=False), sim)
    pin = sim.pin_factory.pin("GPIO27")
    assert pin.state == 1  # off, and safe, from the first instant
    relay.command("ON")
    assert pin.state == 0
    relay.close()
    # close() first restores the safe level (high), then releases the pin (the mock drops it to 0).
    assert levels(pin)[-2:] == [1, 0]


def test_initial_on_is_the_safe_state_restored_on_close(sim):
    relay = Relay(SwitchOptions(pin="GPIO27", initial=True), sim)
    pin = sim.pin_factory.pin("GPIO27")
    assert relay.read() == {"state": "ON"}
    relay.command("OFF")
    assert pin.state == 0
    relay.close()
    assert levels(pin)[-2:] == [1, 0]


def test_close_turns_a_running_relay_off(sim):
    relay = Relay(SwitchOptions(pin="GPIO27"), sim)
    pin = sim.pin_factory.pin("GPIO27")
    relay.command("ON")
    relay.close()
    assert pin.state == 0
    assert levels(pin)[-2:] == [1, 0]


def test_timed_pulse_turns_off_again_and_emits_the_new_state(sim):
    relay = Relay(SwitchOptions(pin="GPIO27", pulse=0.05), sim)
    pin = sim.pin_factory.pin("GPIO27")
    emitted = []
    done = threading.Event()
    relay.watch(lambda readings: (emitted.append(readings), done.set()))
    assert relay.command("ON") == {"state": "ON"}
    assert pin.state == 1
    assert done.wait(2.0)
    assert emitted == [{"state": "OFF"}]
    assert pin.state == 0
    relay.close()


def test_off_during_a_pulse_cancels_it(sim):
    relay = Relay(SwitchOptions(pin="GPIO27", pulse=0.05), sim)
    emitted = []
    relay.watch(emitted.append)
    relay.command("ON")
    relay.command("OFF")
    threading.Event().wait(0.15)
    assert emitted == []
    relay.close()


def test_close_during_a_pulse_stops_the_timer(sim):
    relay = Relay(SwitchOptions(pin="GPIO27", pulse=0.05), sim)
    emitted = []
    relay.watch(emitted.append)
    relay.command("ON")
    relay.close()
    threading.Event().wait(0.15)
    assert emitted == []


def test_a_new_pulse_restarts_the_timer(sim):
    relay = Relay(SwitchOptions(pin="GPIO27", pulse=0.2), sim)
    pin = sim.pin_factory.pin("GPIO27")
    done = threading.Event()
    relay.watch(lambda readings: done.set())
    relay.command("ON")
    first_timer = relay._timer
    relay.command("ON")  # pressed again: the pulse lasts from now
    assert relay._timer is not first_timer
    first_timer.function(first_timer)  # the old timer firing late must not cut the new pulse short
    assert pin.state == 1
    assert done.wait(2.0)
    assert pin.state == 0
    relay.close()
