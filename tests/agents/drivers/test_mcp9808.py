"""MCP9808: ambient register decoding (flags masked, 13-bit two's complement), ids, resolution, shutdown."""

import pytest

from agents.drivers.base import ReadError
from agents.drivers.mcp9808 import Mcp9808, Mcp9808Options, ambient_to_celsius
from agents.sim.chips.mcp9808 import Mcp9808Chip, celsius_to_ambient
from agents.sim.hardware import SimulatedHardware


@pytest.fixture
def sim(tmp_path):
    hardware = SimulatedHardware(tmp_path)
    yield hardware
    hardware.close()


@pytest.mark.parametrize(
    ("upper", "lower", "celsius"),
    [
        (0x01, 0x94, 25.25),  # +25.25 °C: 0x0194 sixteenths
        (0xC1, 0x94, 25.25),  # same with T_CRIT and T_UPPER flags set: flags are masked
        (0x1F, 0xFF, -0.0625),  # sign bit set: two's complement, one LSB below zero
        (0x1E, 0x6C, -25.25),
        (0x10, 0x00, -256.0),
        (0x00, 0x00, 0.0),
    ],
)
def test_ambient_register_decoding(upper, lower, celsius):
    assert ambient_to_celsius(upper, lower) == celsius


def test_emulator_encoding_matches_the_decoder():
    for celsius in (-40.0, -0.0625, 0.0, 24.9375, 125.0):
        value = celsius_to_ambient(celsius)
        assert ambient_to_celsius(value >> 8, value & 0xFF) == celsius


def test_reads_back_with_flags_set_by_the_power_on_limits(sim):
    chip = sim.i2c_bus(1).attach(0x18, Mcp9808Chip())
    chip.temperature = 23.4375
    assert Mcp9808(Mcp9808Options(), sim).read()["temperature"] == 23.4375
    assert chip.ambient_register() & 0xE000  # the limits are 0 °C after power-on, so flags are set


def test_resolution_is_written_and_applied(sim):
    chip = sim.i2c_bus(1).attach(0x1A, Mcp9808Chip())
    chip.temperature = 23.4375
    assert Mcp9808(Mcp9808Options(address=0x1A, resolution=0.5), sim).read()["temperature"] == 23.5
    assert chip.registers[0x08] == 0b00


def test_set_up_wakes_a_chip_in_shutdown(sim):
    chip = sim.i2c_bus(1).attach(0x18, Mcp9808Chip())
    chip.registers[0x01] = 0x0100
    chip.temperature = -5.5
    assert Mcp9808(Mcp9808Options(resolution=0.5), sim).read()["temperature"] == -5.5
    assert not chip.registers[0x01] & 0x0100


def test_another_chip_at_the_address_is_a_read_error(sim):
    chip = sim.i2c_bus(1).attach(0x18, Mcp9808Chip())
    chip.registers[0x06] = 0x1234
    with pytest.raises(ReadError, match="not an MCP9808"):
        Mcp9808(Mcp9808Options(), sim).read()


def test_missing_chip_is_a_read_error(sim):
    with pytest.raises(ReadError, match="no answer from 0x18"):
        Mcp9808(Mcp9808Options(), sim).read()
