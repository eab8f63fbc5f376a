"""INA219: the datasheet's configure/measure/calculate example, calibration, reads through the emulator."""

import time

import pytest

from agents.drivers.base import ReadError
from agents.drivers.ina219 import (
    Ina219,
    Ina219Options,
    amperes,
    bus_volts,
    calibration_value,
    current_lsb_for,
    shunt_volts,
    watts,
)
from agents.sim.chips.ina219 import CALIBRATION, CONFIG, Ina219Chip
from agents.sim.hardware import SimulatedHardware


@pytest.fixture
def sim(tmp_path):
    hardware = SimulatedHardware(tmp_path)
    yield hardware
    hardware.close()


# The datasheet's example: 10 A load, 12 V common mode, 2 mΩ shunt, 40 mV shunt range, 16 V bus range.
def test_datasheet_example_calibration_is_20480():
    assert calibration_value(0.002, 0.001) == 20480


def test_datasheet_example_register_values():
    assert shunt_volts(0x07D0) == pytest.approx(0.020)
    assert bus_volts(0x5D98) == pytest.approx(11.98)
    assert amperes(0x2710, 0.001) == pytest.approx(10.0)
    assert watts(0x1766, 0.001) == pytest.approx(119.8)


def test_datasheet_example_through_the_chip_math():
    chip = Ina219Chip(shunt_ohms=0.002)
    chip.current, chip.bus_voltage = 10.0, 11.98
    chip.write(bytes([CALIBRATION, 0x50, 0x00]))
    chip.write(bytes([CONFIG, 0x01, 0x9F]))
    time.sleep(0.002)  # one conversion (2 x 532 us)
    registers = {
        register: int.from_bytes(chip.write(bytes([register])) or chip.read(2), "big")
        for register in range(1, 5)
    }
    assert registers[1] == 0x07D0 and registers[2] >> 3 == 0x0BB3
    assert registers[4] == 0x2710 and registers[3] == 0x1766


def test_current_lsb_is_max_current_over_2_to_15():
    assert current_lsb_for(32.768) == pytest.approx(0.001)


def test_reads_bus_voltage_current_and_power(sim):
    chip = sim.i2c_bus(1).attach(0x40, Ina219Chip(shunt_ohms=0.1))
    chip.current, chip.bus_voltage = 1.234, 12.1
    readings = Ina219(Ina219Options(), sim).read()
    assert readings["bus_voltage"] == pytest.approx(12.1, abs=0.004)
    assert readings["current"] == pytest.approx(1.234, abs=0.0002)
    assert readings["power"] == pytest.approx(1.234 * 12.1, rel=0.003)


def test_negative_current_reads_negative(sim):
    chip = sim.i2c_bus(1).attach(0x41, Ina219Chip(shunt_ohms=0.1))
    chip.current = -0.5
    assert Ina219(Ina219Options(address=0x41), sim).read()["current"] == pytest.approx(-0.5, abs=0.0002)


def test_one_read_writes_calibration_and_triggers_one_conversion(sim):
    chip = sim.i2c_bus(1).attach(0x40, Ina219Chip())
    driver = Ina219(Ina219Options(shunt_ohms=0.1, max_current=2.0, bus_voltage_range=16), sim)
    driver.read()
    log = sim.i2c_bus(1).log
    assert log[0].written == bytes([0x05]) + driver.calibration.to_bytes(2, "big")
    # BRNG=0 (16 V); 2 A x 0.1 ohm = 200 mV needs PG=/8 (320 mV); 12-bit shunt and bus ADCs; triggered
    assert log[1].written == bytes([0x00]) + (0b0_11_0011_0011_011).to_bytes(2, "big")
    assert chip.conversions == 1


def test_overflow_is_a_read_error(sim):
    sim.i2c_bus(1).attach(0x40, Ina219Chip(shunt_ohms=0.1)).current = 3.0
    with pytest.raises(ReadError, match="overflow"):
        Ina219(Ina219Options(max_current=1.0), sim).read()


def test_shunt_drop_beyond_320_mv_is_refused_as_an_option():
    with pytest.raises(ValueError, match="320 mV"):
        Ina219Options(shunt_ohms=0.1, max_current=5.0)
