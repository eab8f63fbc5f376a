"""ROHM BH1750 ambient light sensor over I2C.

Each read: power on (0x01), a one-time measurement command (0x20 high resolution, 0x21 high
resolution 2, 0x23 low resolution), wait the datasheet's maximum measurement time (180 ms, or 24 ms
in low resolution), then read two bytes. Lux = counts / 1.2 (and / 2 more in high resolution mode 2),
so raw 0x8390 is 28067 lx. The chip powers itself down after a one-time measurement.
"""

# ruff: noqa: RUF009 - option() returns a dataclasses.field, like field() itself

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from agents.drivers.base import Quantity
from agents.drivers.i2c import I2cDriver, addresses
from agents.drivers.options import I2cAddress, option

POWER_ON = 0x01
# resolution -> (one-time measurement command, maximum measurement time in seconds, counts per lux step)
MODES = {"high": (0x20, 0.180, 1.0), "high2": (0x21, 0.180, 2.0), "low": (0x23, 0.024, 1.0)}
MEASUREMENT_ACCURACY = 1.2  # counts per lux at the default measurement time (MTreg 69)
SATURATED = 0xFFFF


def counts_to_lux(counts: int, mode: str = "high") -> float:
    return counts / MEASUREMENT_ACCURACY / MODES[mode][2]


@dataclass
class Bh1750Options:
    bus: int = option(1, help="I2C bus number (/dev/i2c-N)", minimum=0)
    address: I2cAddress = option(
        0x23, help="I2C address (0x23 with ADDR low, 0x5c with ADDR high)", choices=addresses(0x23, 0x5C)
    )
    resolution: str = option(
        "high", help="high (1 lx), high2 (0.5 lx) or low (4 lx, faster)", choices=tuple(MODES)
    )


class Bh1750(I2cDriver):
    type_name = "bh1750"
    summary = "ROHM BH1750 ambient light sensor, lux (I2C)"
    chip_name = "BH1750"
    Options = Bh1750Options

    def quantities(self) -> list[Quantity]:
        return [Quantity("illuminance", "lx", "illuminance", precision=0)]

    def read_chip(self) -> dict[str, Any]:
        command, duration, _ = MODES[self.options.resolution]
        self.write_bytes(POWER_ON)
        self.write_bytes(command)
        time.sleep(duration)
        high, low = self.read_bytes(2)
        counts = high << 8 | low
        if counts == SATURATED:
            raise self.fail("light sensor saturated (more than about 54600 lx)")
        return {"illuminance": counts_to_lux(counts, self.options.resolution)}

    @classmethod
    def simulate(cls, options: Any, simulation: Any) -> None:
        from agents.sim.chips.bh1750 import Bh1750Chip
        from agents.sim.drift import Drift, animate

        chip = simulation.i2c_bus(options.bus).attach(options.address, Bh1750Chip())
        animate(simulation, chip, lux=Drift(450.0, 350.0, seed=f"bh1750-{options.bus}-{options.address}"))


DRIVERS = (Bh1750,)
