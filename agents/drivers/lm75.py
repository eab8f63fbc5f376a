"""LM75 / LM75A / LM75B temperature sensor over I2C.

The temperature register (0x00) is 16-bit big-endian two's complement with the reading left-aligned:
°C = value / 256 (9 significant bits on the LM75, 11 on the LM75A/B; the unused low bits read 0).
Set-up clears the shutdown bit of the configuration register (0x01) so the chip converts continuously.
"""

# ruff: noqa: RUF009 - option() returns a dataclasses.field, like field() itself

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agents.drivers.base import Quantity
from agents.drivers.i2c import I2cDriver, addresses, check_range
from agents.drivers.options import I2cAddress, option

TEMPERATURE, CONFIGURATION = 0x00, 0x01
SHUTDOWN = 0x01
ADDRESSES = tuple(range(0x48, 0x50))


def register_to_celsius(raw: int) -> float:
    """°C from the 16-bit temperature register (e.g. 0x1900 → 25.0, 0xE700 → -25.0)."""
    if raw & 0x8000:
        raw -= 0x10000
    return raw / 256.0


@dataclass
class Lm75Options:
    bus: int = option(1, help="I2C bus number (/dev/i2c-N)", minimum=0)
    address: I2cAddress = option(
        0x48, help="I2C address (0x48-0x4f, set by A0-A2)", choices=addresses(*ADDRESSES)
    )


class Lm75(I2cDriver):
    type_name = "lm75"
    summary = "LM75/LM75A/LM75B digital temperature sensor (I2C)"
    chip_name = "LM75"
    Options = Lm75Options

    def quantities(self) -> list[Quantity]:
        return [Quantity("temperature", "°C", "temperature", precision=1)]

    def set_up(self) -> None:
        configuration = self.bus.read_byte_data(self.address, CONFIGURATION)
        if configuration & SHUTDOWN:
            self.bus.write_byte_data(self.address, CONFIGURATION, configuration & ~SHUTDOWN)

    def read_chip(self) -> dict[str, Any]:
        high, low = self.bus.read_i2c_block_data(self.address, TEMPERATURE, 2)
        temperature = register_to_celsius(high << 8 | low)
        return {"temperature": check_range(self, "temperature", temperature, -55.0, 125.0, "°C")}

    @classmethod
    def simulate(cls, options: Any, simulation: Any) -> None:
        from agents.sim.chips.lm75 import Lm75Chip
        from agents.sim.drift import Drift, animate

        chip = simulation.i2c_bus(options.bus).attach(options.address, Lm75Chip())
        animate(simulation, chip, temperature=Drift(24.0, 4.0, seed=f"lm75-{options.bus}-{options.address}"))


DRIVERS = (Lm75,)
