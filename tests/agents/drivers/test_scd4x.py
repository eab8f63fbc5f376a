"""SCD4x: start-up command sequence, data-ready polling, read_measurement words with CRCs, faults.

The emulated chip's measurement interval is shortened from the datasheet's 5 s so tests do not wait.
"""

import pytest

from agents.drivers.base import ReadError
from agents.drivers.scd4x import Scd4x, Scd4xOptions, convert_humidity, convert_temperature, is_data_ready
from agents.drivers.sensirion import pack_words
from agents.sim.chips.scd4x import Scd4xChip
from agents.sim.hardware import SimulatedHardware


@pytest.fixture
def sim(tmp_path):
    hardware = SimulatedHardware(tmp_path)
    yield hardware
    hardware.close()


def fast_chip(sim):
    chip = sim.i2c_bus(1).attach(0x62, Scd4xChip())
    chip.measurement_interval = 0.05
    return chip


def test_conversions_and_data_ready_bits():
    assert convert_temperature(0x6667) == pytest.approx(25.0, abs=0.01)
    assert convert_humidity(0x5EB9) == pytest.approx(37.0, abs=0.01)
    assert not is_data_ready(0x8000)  # low 11 bits zero: no data
    assert is_data_ready(0x8006)


def test_set_up_stops_sets_altitude_and_starts_then_reads(sim):
    chip = fast_chip(sim)
    chip.co2, chip.temperature, chip.humidity = 812.0, 24.5, 38.0
    driver = Scd4x(Scd4xOptions(altitude=420), sim)
    readings = driver.read()
    assert readings["co2"] == 812
    assert readings["temperature"] == pytest.approx(24.5, abs=0.003)
    assert readings["humidity"] == pytest.approx(38.0, abs=0.002)
    writes = [t.written for t in sim.i2c_bus(1).log if t.written]
    assert writes[:3] == [b"\x3f\x86", b"\x24\x27" + pack_words(420), b"\x21\xb1"]
    assert chip.altitude == 420 and chip.is_measuring


def test_later_reads_poll_data_ready_then_read_nine_bytes(sim):
    fast_chip(sim)
    driver = Scd4x(Scd4xOptions(), sim)
    driver.read()
    sim.i2c_bus(1).log.clear()
    driver.read()
    log = sim.i2c_bus(1).log
    assert log[-2].written == b"\xec\x05" and len(log[-1].read) == 9
    assert {t.written for t in log[:-2] if t.written} == {b"\xe4\xb8"}


def test_low_power_mode_sends_its_start_command(sim):
    chip = fast_chip(sim)
    chip.low_power_interval = 0.05
    Scd4x(Scd4xOptions(mode="low_power"), sim).read()
    assert b"\x21\xac" in [t.written for t in sim.i2c_bus(1).log]


def test_close_stops_periodic_measurement(sim):
    chip = fast_chip(sim)
    driver = Scd4x(Scd4xOptions(), sim)
    driver.read()
    driver.close()
    assert not chip.is_measuring


def test_chip_nacks_idle_only_commands_while_measuring(sim):
    bus = sim.i2c_bus(1)
    fast_chip(sim)
    bus.write_i2c_block_data(0x62, 0x21, [0xB1])
    with pytest.raises(OSError):
        bus.write_i2c_block_data(0x62, 0x36, [0x82])  # get_serial_number only in idle mode


def test_crc_failure_is_a_read_error(sim):
    fast_chip(sim).corrupt_crc = True
    with pytest.raises(ReadError, match="CRC mismatch"):
        Scd4x(Scd4xOptions(), sim).read()


def test_implausible_co2_is_a_read_error(sim):
    fast_chip(sim).co2 = 50000.0
    with pytest.raises(ReadError, match="implausible CO2"):
        Scd4x(Scd4xOptions(), sim).read()


def test_missing_sensor_is_a_read_error(sim):
    with pytest.raises(ReadError, match="no answer from 0x62"):
        Scd4x(Scd4xOptions(), sim).read()
