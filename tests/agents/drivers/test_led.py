"""LED output: a light in Home Assistant, same commands as a relay."""

import pytest

from agents.drivers.led import Led
from agents.drivers.switching import SwitchOptions
from agents.sim.hardware import SimulatedHardware


@pytest.fixture
def sim(tmp_path):
    with SimulatedHardware(tmp_path) as hardware:
        yield hardware


def test_led_is_a_writable_light_and_follows_commands(sim):
    led = Led(SwitchOptions(pin="GPIO21"), sim)
    pin = sim.pin_factory.pin("GPIO21")
    (quantity,) = led.quantities()
    assert (quantity.component, quantity.writable) == ("light", True)
    assert led.command("ON") == {"state": "ON"}
    assert pin.state == 1
    assert led.command("TOGGLE") == {"state": "OFF"}
    assert pin.state == 0
    led.command("ON")
    led.close()
    assert [state.state for state in pin.states][-2:] == [1, 0]  # back to the safe state, off
