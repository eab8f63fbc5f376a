"""PWM output: 0-100 % payloads onto a MockPWMPin's duty cycle and frequency."""

import pytest

from agents.drivers.base import CommandError
from agents.drivers.pwm import Options, Pwm, parse_level
from agents.sim.hardware import SimulatedHardware


@pytest.fixture
def sim(tmp_path):
    with SimulatedHardware(tmp_path) as hardware:
        yield hardware


@pytest.mark.parametrize(
    ("payload", "current", "level"),
    [
        ("42", 0, 42.0),
        ("42.5%", 0, 42.5),
        ("0", 50, 0.0),
        ("100", 0, 100.0),
        ("on", 10, 100.0),
        ("OFF", 10, 0.0),
        ("toggle", 10, 0.0),
        ("TOGGLE", 0, 100.0),
        (b"7", 0, 7.0),
    ],
)
def test_level_payloads(payload, current, level):
    assert parse_level(payload, current) == level


@pytest.mark.parametrize("payload", ["101", "-1", "nan", "inf", "half", ""])
def test_bad_levels_are_command_errors(payload):
    with pytest.raises(CommandError):
        parse_level(payload, 0)


def test_duty_cycle_and_frequency_on_the_pin(sim):
    pwm = Pwm(Options(pin="GPIO12", frequency=25_000), sim)
    pin = sim.pin_factory.pin("GPIO12")
    assert pin.frequency == 25_000
    assert pwm.read() == {"level": 0.0}
    assert pwm.command("40") == {"level": 40.0}
    assert pin.state == pytest.approx(0.4)
    (quantity,) = pwm.quantities()
    assert (quantity.name, quantity.unit, quantity.component, quantity.writable) == (
        "level",
        "%",
        "number",
        True,
    )
    pwm.close()


def test_inverted_output(sim):
    pwm = Pwm(Options(pin="GPIO12", active_high=False), sim)
    pin = sim.pin_factory.pin("GPIO12")
    pwm.command("25")
    assert pin.state == pytest.approx(0.75)
    pwm.close()


def test_bad_command_keeps_the_level(sim):
    pwm = Pwm(Options(pin="GPIO12"), sim)
    pwm.command("60")
    with pytest.raises(CommandError):
        pwm.command("150")
    assert pwm.read() == {"level": 60.0}
    pwm.close()


def test_close_restores_the_initial_level(sim):
    pwm = Pwm(Options(pin="GPIO12", initial=20.0), sim)
    pin = sim.pin_factory.pin("GPIO12")
    assert pin.state == pytest.approx(0.2)
    pwm.command("90")
    pwm.close()
    assert [round(state.state, 3) for state in pin.states][-2:] == [0.2, 0.0]  # safe level, then released
