"""LM75: the datasheet's temperature-to-register table, shutdown handling, 9- and 11-bit parts."""

import pytest

from agents.drivers.base import ReadError
from agents.drivers.lm75 import Lm75, Lm75Options, register_to_celsius
from agents.sim.chips.lm75 import Lm75Chip, celsius_to_register
from agents.sim.hardware import SimulatedHardware

# The LM75 datasheet's table (9-bit binary, shown here left-aligned in the 16-bit register).
DATASHEET_TABLE = [
    (125.0, 0x7D00),
    (25.0, 0x1900),
    (0.5, 0x0080),
    (0.0, 0x0000),
    (-0.5, 0xFF80),
    (-25.0, 0xE700),
    (-55.0, 0xC900),
]


@pytest.fixture
def sim(tmp_path):
    hardware = SimulatedHardware(tmp_path)
    yield hardware
    hardware.close()


@pytest.mark.parametrize(("celsius", "register"), DATASHEET_TABLE)
def test_datasheet_table(celsius, register):
    assert register_to_celsius(register) == celsius
    assert celsius_to_register(celsius) == register


def test_lm75b_11_bit_register_gives_eighths():
    assert register_to_celsius(0x1920) == 25.125
    assert register_to_celsius(0xFFE0) == -0.125


@pytest.mark.parametrize(("resolution", "temperature", "step"), [(9, 21.3, 0.5), (11, -12.43, 0.125)])
def test_reads_back_within_the_parts_resolution(sim, resolution, temperature, step):
    chip = sim.i2c_bus(1).attach(0x48, Lm75Chip(resolution=resolution))
    chip.temperature = temperature
    assert Lm75(Lm75Options(), sim).read()["temperature"] == pytest.approx(temperature, abs=step / 2)


def test_set_up_wakes_a_chip_in_shutdown(sim):
    chip = sim.i2c_bus(1).attach(0x4F, Lm75Chip())
    chip.registers[0x01] = 0x01
    chip.temperature = 30.0
    assert Lm75(Lm75Options(address=0x4F), sim).read()["temperature"] == 30.0
    assert chip.registers[0x01] == 0x00


def test_read_is_one_two_byte_register_read(sim):
    sim.i2c_bus(1).attach(0x48, Lm75Chip())
    driver = Lm75(Lm75Options(), sim)
    driver.read()
    sim.i2c_bus(1).log.clear()
    driver.read()
    assert [(t.operation, t.written) for t in sim.i2c_bus(1).log] == [("read_i2c_block_data", b"\x00")]


def test_stuck_bus_reading_is_a_read_error(sim):
    chip = sim.i2c_bus(1).attach(0x48, Lm75Chip())
    driver = Lm75(Lm75Options(), sim)
    driver.read()
    chip.stuck_byte = 0x7F  # 0x7F7F: 127.5 °C, beyond the chip's range
    with pytest.raises(ReadError, match="implausible"):
        driver.read()
