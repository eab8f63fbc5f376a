"""Sensirion SHT3x (SHT30/31/35) temperature and humidity over I2C.

One single-shot measurement per read, clock stretching disabled (command 0x2400 for high
repeatability): write the command, wait the datasheet's maximum measurement duration, read six bytes
(temperature word + CRC, humidity word + CRC). T = -45 + 175·S/65535, RH = 100·S/65535.
"""

# ruff: noqa: RUF009 - option() returns a dataclasses.field, like field() itself

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from agents.drivers.base import Quantity
from agents.drivers.i2c import I2cDriver, addresses, check_range
from agents.drivers.options import I2cAddress, option

# repeatability -> (single-shot command without clock stretching, maximum duration in seconds)
SINGLE_SHOT = {"high": (0x2400, 0.0155), "medium": (0x240B, 0.0065), "low": (0x2416, 0.0045)}


def convert_temperature(raw: int) -> float:
    return -45.0 + 175.0 * raw / 65535.0


def convert_humidity(raw: int) -> float:
    return 100.0 * raw / 65535.0


@dataclass
class Sht3xOptions:
    bus: int = option(1, help="I2C bus number (/dev/i2c-N)", minimum=0)
    address: I2cAddress = option(
        0x44, help="I2C address (0x44 with ADDR low, 0x45 with ADDR high)", choices=addresses(0x44, 0x45)
    )
    repeatability: str = option(
        "high", help="measurement repeatability (higher is less noisy, slower)", choices=tuple(SINGLE_SHOT)
    )


class Sht3x(I2cDriver):
    type_name = "sht3x"
    summary = "Sensirion SHT30/SHT31/SHT35 temperature and humidity sensor (I2C)"
    chip_name = "SHT3x"
    Options = Sht3xOptions

    def quantities(self) -> list[Quantity]:
        return [
            Quantity("temperature", "°C", "temperature", precision=2),
            Quantity("humidity", "%", "humidity", precision=1),
        ]

    def read_chip(self) -> dict[str, Any]:
        command, duration = SINGLE_SHOT[self.options.repeatability]
        self.write_bytes(command >> 8, command & 0xFF)
        time.sleep(duration)
        raw_temperature, raw_humidity = self.unpack_words(self.read_bytes(6), "measurement")
        temperature = convert_temperature(raw_temperature)
        return {
            "temperature": check_range(self, "temperature", temperature, -40.0, 125.0, "°C"),
            "humidity": convert_humidity(raw_humidity),
        }

    @classmethod
    def simulate(cls, options: Any, simulation: Any) -> None:
        from agents.sim.chips.sht3x import Sht3xChip
        from agents.sim.drift import animate_climate

        chip = simulation.i2c_bus(options.bus).attach(options.address, Sht3xChip())
        animate_climate(simulation, chip, f"sht3x-{options.bus}-{options.address}")


DRIVERS = (Sht3x,)
