"""BH1750: the datasheet's lux example, the instruction sequence, resolution modes and faults."""

import pytest

from agents.drivers.base import ReadError
from agents.drivers.bh1750 import Bh1750, Bh1750Options, counts_to_lux
from agents.sim.chips.bh1750 import Bh1750Chip
from agents.sim.hardware import SimulatedHardware


@pytest.fixture
def sim(tmp_path):
    hardware = SimulatedHardware(tmp_path)
    yield hardware
    hardware.close()


def test_datasheet_example_0x8390_is_28067_lux():
    assert round(counts_to_lux(0x8390)) == 28067


def test_high_resolution_mode_2_halves_the_step():
    assert counts_to_lux(0x8390, "high2") == pytest.approx(28067 / 2, abs=0.5)


def test_one_read_is_power_on_one_time_measurement_and_a_two_byte_read(sim):
    chip = sim.i2c_bus(1).attach(0x23, Bh1750Chip())
    chip.lux = 1234.0
    readings = Bh1750(Bh1750Options(), sim).read()
    assert readings["illuminance"] == pytest.approx(1234.0, abs=1 / 1.2)
    assert [(t.written, len(t.read)) for t in sim.i2c_bus(1).log] == [(b"\x01", 0), (b"\x20", 0), (b"", 2)]
    assert not chip.is_powered  # one-time mode powers down after measuring


def test_low_resolution_mode_at_the_other_address(sim):
    chip = sim.i2c_bus(1).attach(0x5C, Bh1750Chip())
    chip.lux = 500.0
    readings = Bh1750(Bh1750Options(address=0x5C, resolution="low"), sim).read()
    assert readings["illuminance"] == pytest.approx(500.0, abs=4)
    assert sim.i2c_bus(1).log[1].written == b"\x23"


def test_saturated_sensor_is_a_read_error(sim):
    sim.i2c_bus(1).attach(0x23, Bh1750Chip()).lux = 100000.0
    with pytest.raises(ReadError, match="saturated"):
        Bh1750(Bh1750Options(), sim).read()


def test_missing_sensor_is_a_read_error(sim):
    with pytest.raises(ReadError, match="no answer from 0x23"):
        Bh1750(Bh1750Options(), sim).read()
