"""LDR light driver: gpiozero LightSensor against an emulated RC charge time (agents.sim.pins)."""

import pytest

from agents.drivers.base import ReadError
from agents.drivers.light import Light, Options, light_percent
from agents.sim.hardware import SimulatedHardware
from agents.sim.pins import ChargingPin


@pytest.fixture
def sim(tmp_path):
    with SimulatedHardware(tmp_path) as hardware:
        yield hardware


@pytest.mark.parametrize(
    ("charge_time", "percent"), [(None, 0.0), (0.0, 100.0), (0.0025, 75.0), (0.01, 0.0), (0.05, 0.0)]
)
def test_percent_from_charge_time(charge_time, percent):
    assert light_percent(charge_time, 0.01) == pytest.approx(percent)


def test_charge_time_reads_as_light_level(sim):
    pin = sim.pin_factory.pin("GPIO18", pin_class=ChargingPin)
    pin.charge_time = 0.0025  # a quarter of the limit: fairly bright
    light = Light(Options(pin="GPIO18", queue_len=1), sim)
    # gpiozero times the charge with the wall clock, so a loaded machine can only make it look darker:
    # a quarter of the limit is 75 %, never more, and scheduling delays must not drag it near half.
    assert 60.0 <= light.read()["light"] <= 75.5
    assert light.quantities()[0].unit == "%"
    light.close()


def test_darkness_reads_zero(sim):
    pin = sim.pin_factory.pin("GPIO18", pin_class=ChargingPin)
    pin.charge_time = None
    light = Light(Options(pin="GPIO18", queue_len=1), sim)
    assert light.read() == {"light": 0.0}
    light.close()


def test_no_sample_in_time_is_a_read_error(sim):
    sim.pin_factory.pin("GPIO18", pin_class=ChargingPin)
    # gpiozero discharges the capacitor for 0.1 s before its first sample; a read before that has nothing.
    light = Light(Options(pin="GPIO18", queue_len=1, first_sample_timeout=0.0), sim)
    with pytest.raises(ReadError, match="no light sample"):
        light.read()
    light.close()


def test_simulated_daylight_changes(sim):
    options = Options(pin="GPIO18", queue_len=1)
    Light.simulate(options, sim)
    pin = sim.pin_factory.pin("GPIO18")
    sim.tick(0.0)
    first = pin.charge_time
    sim.tick(140.0)
    assert pin.charge_time != first
    assert 0 <= pin.charge_time <= options.charge_time_limit
