"""SHT3x: datasheet conversions, single-shot command sequence, CRC and NACK faults, emulator round trip."""

import pytest

from agents.drivers.base import ReadError
from agents.drivers.sht3x import Sht3x, Sht3xOptions, convert_humidity, convert_temperature
from agents.sim.chips.sht3x import Sht3xChip
from agents.sim.hardware import SimulatedHardware


@pytest.fixture
def sim(tmp_path):
    hardware = SimulatedHardware(tmp_path)
    yield hardware
    hardware.close()


def test_conversions_cover_the_datasheet_range():
    assert convert_temperature(0) == -45.0
    assert convert_temperature(0xFFFF) == 130.0
    assert convert_temperature(0x6666) == pytest.approx(25.0, abs=0.01)
    assert convert_humidity(0) == 0.0 and convert_humidity(0xFFFF) == 100.0
    assert convert_humidity(0x8000) == pytest.approx(50.0, abs=0.001)


@pytest.mark.parametrize(("temperature", "humidity"), [(22.5, 40.0), (-39.9, 0.5), (85.0, 99.5)])
def test_reads_back_what_the_chip_measures(sim, temperature, humidity):
    chip = sim.i2c_bus(1).attach(0x44, Sht3xChip())
    chip.temperature, chip.humidity = temperature, humidity
    readings = Sht3x(Sht3xOptions(), sim).read()
    assert readings["temperature"] == pytest.approx(temperature, abs=0.003)  # 175/65535 °C steps
    assert readings["humidity"] == pytest.approx(humidity, abs=0.002)


@pytest.mark.parametrize(
    ("repeatability", "command"), [("high", b"\x24\x00"), ("medium", b"\x24\x0b"), ("low", b"\x24\x16")]
)
def test_one_single_shot_command_then_one_six_byte_read(sim, repeatability, command):
    sim.i2c_bus(1).attach(0x45, Sht3xChip())
    Sht3x(Sht3xOptions(address=0x45, repeatability=repeatability), sim).read()
    log = sim.i2c_bus(1).log
    assert [(t.written, len(t.read)) for t in log] == [(command, 0), (b"", 6)]


def test_reading_before_the_measurement_is_done_is_nacked_by_the_chip(sim):
    bus = sim.i2c_bus(1)
    bus.attach(0x44, Sht3xChip())
    bus.write_i2c_block_data(0x44, 0x24, [0x00])
    with pytest.raises(OSError):
        bus.read_i2c_block_data(0x44, 0x00, 6)


def test_crc_failure_is_a_read_error(sim):
    sim.i2c_bus(1).attach(0x44, Sht3xChip()).corrupt_crc = True
    with pytest.raises(ReadError, match="SHT3x at 0x44: CRC mismatch"):
        Sht3x(Sht3xOptions(), sim).read()


def test_nack_is_a_read_error(sim):
    sim.i2c_bus(1).attach(0x45, Sht3xChip())
    with pytest.raises(ReadError, match="no answer from 0x44"):
        Sht3x(Sht3xOptions(), sim).read()


def test_stuck_high_data_line_is_a_crc_error_not_a_reading(sim):
    sim.i2c_bus(1).attach(0x44, Sht3xChip()).stuck_byte = 0xFF
    with pytest.raises(ReadError, match="CRC mismatch"):
        Sht3x(Sht3xOptions(), sim).read()


def test_implausible_temperature_with_valid_crc_is_a_read_error(sim):
    chip = sim.i2c_bus(1).attach(0x44, Sht3xChip())
    chip.temperature = 130.0  # the all-ones word: 0xFFFF with its valid CRC 0xAC
    with pytest.raises(ReadError, match="implausible temperature"):
        Sht3x(Sht3xOptions(), sim).read()


def test_simulation_attaches_a_chip_with_indoor_values(sim):
    Sht3x.simulate(Sht3xOptions(), sim)
    readings = Sht3x(Sht3xOptions(), sim).read()
    assert 15 < readings["temperature"] < 30 and 30 < readings["humidity"] < 70
