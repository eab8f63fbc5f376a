"""SHT4x: datasheet conversions (RH cropped to 0-100 %), one-byte commands, CRC and NACK faults."""

import pytest

from agents.drivers.base import ReadError
from agents.drivers.sht4x import Sht4x, Sht4xOptions, convert_humidity, convert_temperature
from agents.sim.chips.sht4x import Sht4xChip
from agents.sim.hardware import SimulatedHardware


@pytest.fixture
def sim(tmp_path):
    hardware = SimulatedHardware(tmp_path)
    yield hardware
    hardware.close()


def test_humidity_formula_and_cropping():
    assert convert_humidity(0) == 0.0  # -6 % cropped
    assert convert_humidity(0xFFFF) == 100.0  # 119 % cropped
    assert convert_humidity(0x8000) == pytest.approx(-6 + 125 * 0x8000 / 65535)
    assert convert_temperature(0x8000) == pytest.approx(-45 + 175 * 0x8000 / 65535)


@pytest.mark.parametrize(("temperature", "humidity"), [(21.7, 55.5), (-30.0, 2.0), (100.0, 98.0)])
def test_reads_back_what_the_chip_measures(sim, temperature, humidity):
    chip = sim.i2c_bus(1).attach(0x44, Sht4xChip())
    chip.temperature, chip.humidity = temperature, humidity
    readings = Sht4x(Sht4xOptions(), sim).read()
    assert readings["temperature"] == pytest.approx(temperature, abs=0.003)
    assert readings["humidity"] == pytest.approx(humidity, abs=0.002)


@pytest.mark.parametrize(("precision", "command"), [("high", 0xFD), ("medium", 0xF6), ("low", 0xE0)])
def test_one_command_byte_then_one_six_byte_read(sim, precision, command):
    sim.i2c_bus(1).attach(0x46, Sht4xChip())
    Sht4x(Sht4xOptions(address=0x46, precision=precision), sim).read()
    assert [(t.written, len(t.read)) for t in sim.i2c_bus(1).log] == [(bytes([command]), 0), (b"", 6)]


def test_crc_failure_and_nack_are_read_errors(sim):
    chip = sim.i2c_bus(1).attach(0x44, Sht4xChip())
    chip.corrupt_crc = True
    with pytest.raises(ReadError, match="CRC mismatch"):
        Sht4x(Sht4xOptions(), sim).read()
    chip.is_absent = True
    with pytest.raises(ReadError, match="NACK"):
        Sht4x(Sht4xOptions(), sim).read()
