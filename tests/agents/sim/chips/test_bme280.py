"""The BME280 emulator's normal mode: it measures continuously with the configured standby time."""

import time

import pytest

from agents.drivers.bme280 import compensate_temperature, split_data
from agents.sim.chips.bme280 import EXAMPLE_CALIBRATION, Bme280Chip
from agents.sim.i2c import FakeI2cBus


def temperature(bus):
    _, adc_t, _ = split_data(bytes(bus.read_i2c_block_data(0x76, 0xF7, 8)))
    return compensate_temperature(adc_t, EXAMPLE_CALIBRATION)[0]


def test_normal_mode_keeps_measuring():
    bus = FakeI2cBus()
    chip = bus.attach(0x76, Bme280Chip())
    chip.temperature = 20.0
    bus.write_byte_data(0x76, 0xF5, 0b000_000_00)  # t_standby 0.5 ms, filter off
    bus.write_byte_data(0x76, 0xF2, 0x01)
    bus.write_byte_data(0x76, 0xF4, 0b001_001_11)  # x1, x1, normal mode
    time.sleep(0.02)
    assert temperature(bus) == pytest.approx(20.0, abs=0.01)
    chip.temperature = 23.0
    time.sleep(0.02)
    assert temperature(bus) == pytest.approx(23.0, abs=0.01)
    assert bus.read_byte_data(0x76, 0xF4) & 0b11 == 0b11  # still in normal mode
    assert chip.measurements >= 2


def test_forced_mode_returns_to_sleep():
    bus = FakeI2cBus()
    bus.attach(0x76, Bme280Chip())
    bus.write_byte_data(0x76, 0xF4, 0b001_001_01)
    time.sleep(0.02)
    assert bus.read_byte_data(0x76, 0xF4) & 0b11 == 0b00
