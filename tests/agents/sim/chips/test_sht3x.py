"""The SHT3x emulator's periodic mode, as libraries that use it (fetch data, break) expect it."""

import pytest
from smbus2 import i2c_msg

from agents.drivers.sensirion import unpack_words
from agents.sim.chips.sht3x import Sht3xChip
from agents.sim.i2c import FakeI2cBus


def command(bus, word):
    bus.i2c_rdwr(i2c_msg.write(0x44, [word >> 8, word & 0xFF]))


def fetch(bus):
    command(bus, 0xE000)
    message = i2c_msg.read(0x44, 6)
    bus.i2c_rdwr(message)
    return unpack_words(bytes(message))


def test_periodic_mode_fetches_new_data_and_nacks_when_none_is_new():
    bus = FakeI2cBus()
    chip = bus.attach(0x44, Sht3xChip())
    now = [100.0]
    chip.clock = lambda: now[0]  # a hand-driven clock: no dependence on how fast the test runs
    chip.temperature, chip.humidity = 25.0, 40.0
    command(bus, 0x2737)  # 10 measurements per second, high repeatability
    with pytest.raises(OSError):
        fetch(bus)  # nothing measured yet
    now[0] += 0.12
    temperature, humidity = fetch(bus)
    assert -45 + 175 * temperature / 65535 == pytest.approx(25.0, abs=0.003)
    assert 100 * humidity / 65535 == pytest.approx(40.0, abs=0.002)
    with pytest.raises(OSError):
        fetch(bus)  # nothing new yet


def test_single_shot_is_refused_until_the_break_command():
    bus = FakeI2cBus()
    bus.attach(0x44, Sht3xChip())
    command(bus, 0x2130)
    with pytest.raises(OSError):
        command(bus, 0x2400)
    command(bus, 0x3093)
    command(bus, 0x2400)
