"""Microchip MCP9808 ±0.25 °C temperature sensor over I2C.

Set-up checks the manufacturer (0x06 = 0x0054) and device id (0x07, upper byte 0x04), takes the chip
out of shutdown (CONFIG 0x01 bit 8) and sets the resolution register (0x08). The ambient temperature
register (0x05) carries three alert flags (bits 15-13), a sign (bit 12) and a 12-bit magnitude in
1/16 °C: the low 13 bits are a two's-complement value, so °C = value / 16.
"""

# ruff: noqa: RUF009 - option() returns a dataclasses.field, like field() itself

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from agents.drivers.base import Quantity
from agents.drivers.i2c import I2cDriver, addresses, check_range
from agents.drivers.options import I2cAddress, option

CONFIG, AMBIENT, MANUFACTURER_ID, DEVICE_ID, RESOLUTION = 0x01, 0x05, 0x06, 0x07, 0x08
MICROCHIP, MCP9808_DEVICE = 0x0054, 0x04
SHUTDOWN = 0x0100
# resolution (°C) -> (register code, conversion time in seconds)
RESOLUTIONS = {0.5: (0b00, 0.030), 0.25: (0b01, 0.065), 0.125: (0b10, 0.130), 0.0625: (0b11, 0.250)}
ADDRESSES = tuple(range(0x18, 0x20))


def ambient_to_celsius(upper: int, lower: int) -> float:
    """°C from the ambient temperature register bytes, ignoring the alert flags in bits 15-13."""
    value = (upper & 0x1F) << 8 | lower
    if value & 0x1000:  # sign bit: two's complement over 13 bits
        value -= 0x2000
    return value / 16.0


@dataclass
class Mcp9808Options:
    bus: int = option(1, help="I2C bus number (/dev/i2c-N)", minimum=0)
    address: I2cAddress = option(
        0x18, help="I2C address (0x18-0x1f, set by A0-A2)", choices=addresses(*ADDRESSES)
    )
    resolution: float = option(
        0.0625, help="resolution in °C (coarser converts faster)", choices=tuple(RESOLUTIONS)
    )


class Mcp9808(I2cDriver):
    type_name = "mcp9808"
    summary = "Microchip MCP9808 precision temperature sensor (I2C)"
    chip_name = "MCP9808"
    Options = Mcp9808Options

    def quantities(self) -> list[Quantity]:
        return [Quantity("temperature", "°C", "temperature", precision=2)]

    def read_register(self, register: int) -> int:
        high, low = self.bus.read_i2c_block_data(self.address, register, 2)
        return high << 8 | low

    def set_up(self) -> None:
        manufacturer, device = self.read_register(MANUFACTURER_ID), self.read_register(DEVICE_ID)
        if manufacturer != MICROCHIP or device >> 8 != MCP9808_DEVICE:
            raise self.fail(
                f"not an MCP9808 (manufacturer id 0x{manufacturer:04x}, device id 0x{device:04x})"
            )
        code, conversion_time = RESOLUTIONS[self.options.resolution]
        self.bus.write_byte_data(self.address, RESOLUTION, code)
        config = self.read_register(CONFIG)
        if config & SHUTDOWN:
            config &= ~SHUTDOWN
            self.bus.write_i2c_block_data(self.address, CONFIG, [config >> 8, config & 0xFF])
            time.sleep(conversion_time)  # the first conversion after wake-up

    def read_chip(self) -> dict[str, Any]:
        upper, lower = self.bus.read_i2c_block_data(self.address, AMBIENT, 2)
        temperature = ambient_to_celsius(upper, lower)
        return {"temperature": check_range(self, "temperature", temperature, -40.0, 125.0, "°C")}

    @classmethod
    def simulate(cls, options: Any, simulation: Any) -> None:
        from agents.sim.chips.mcp9808 import Mcp9808Chip
        from agents.sim.drift import Drift, animate

        chip = simulation.i2c_bus(options.bus).attach(options.address, Mcp9808Chip())
        animate(
            simulation, chip, temperature=Drift(20.0, 3.0, seed=f"mcp9808-{options.bus}-{options.address}")
        )


DRIVERS = (Mcp9808,)
