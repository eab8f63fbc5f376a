"""AHT20: 20-bit signal conversions, initialise when uncalibrated, busy polling, CRC-8."""

import pytest

from agents.drivers.aht20 import Aht20, Aht20Options, convert_humidity, convert_temperature, split_measurement
from agents.drivers.base import ReadError
from agents.drivers.sensirion import crc8
from agents.sim.chips.aht20 import Aht20Chip
from agents.sim.hardware import SimulatedHardware


@pytest.fixture
def sim(tmp_path):
    hardware = SimulatedHardware(tmp_path)
    yield hardware
    hardware.close()


def test_signals_split_across_the_shared_nibble():
    # status 0x1C, humidity 0x80000 (50 %), temperature 0x60000 (25 °C): byte 3 carries both nibbles.
    data = bytes([0x1C, 0x80, 0x00, 0x06, 0x00, 0x00])
    humidity, temperature = split_measurement(data)
    assert (humidity, temperature) == (0x80000, 0x60000)
    assert convert_humidity(humidity) == 50.0
    assert convert_temperature(temperature) == 25.0


def test_reads_back_what_the_chip_measures_in_one_trigger_sequence(sim):
    chip = sim.i2c_bus(1).attach(0x38, Aht20Chip())
    chip.temperature, chip.humidity = 23.25, 61.0
    driver = Aht20(Aht20Options(), sim)
    readings = driver.read()
    assert readings["temperature"] == pytest.approx(23.25, abs=0.001)
    assert readings["humidity"] == pytest.approx(61.0, abs=0.001)
    sim.i2c_bus(1).log.clear()
    driver.read()
    log = sim.i2c_bus(1).log
    assert log[0].written == bytes([0xAC, 0x33, 0x00])
    assert len(log[-1].read) == 7 and crc8(log[-1].read[:6]) == log[-1].read[6]
    assert chip.measurements == 2


def test_uncalibrated_chip_gets_the_initialise_command(sim):
    chip = sim.i2c_bus(1).attach(0x38, Aht20Chip(is_calibrated=False))
    Aht20(Aht20Options(), sim).read()
    assert chip.is_calibrated
    assert bytes([0xBE, 0x08, 0x00]) in [t.written for t in sim.i2c_bus(1).log]


def test_crc_failure_is_a_read_error(sim):
    sim.i2c_bus(1).attach(0x38, Aht20Chip()).corrupt_crc = True
    with pytest.raises(ReadError, match="CRC mismatch"):
        Aht20(Aht20Options(), sim).read()


def test_stuck_busy_chip_is_a_read_error(sim):
    sim.i2c_bus(1).attach(0x38, Aht20Chip()).stuck_byte = 0xFF
    with pytest.raises(ReadError, match="did not finish"):
        Aht20(Aht20Options(), sim).read()
