"""Sensirion SHT4x (SHT40/41/45) temperature and humidity over I2C.

One-byte measurement commands (0xFD high, 0xF6 medium, 0xE0 low precision), then six bytes back
(temperature word + CRC, humidity word + CRC). T = -45 + 175·S/65535, RH = -6 + 125·S/65535,
cropped to 0-100 % as the datasheet recommends.
"""

# ruff: noqa: RUF009 - option() returns a dataclasses.field, like field() itself

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from agents.drivers.base import Quantity
from agents.drivers.i2c import I2cDriver, addresses, check_range
from agents.drivers.options import I2cAddress, option

# precision -> (command, maximum duration in seconds)
MEASURE = {"high": (0xFD, 0.0083), "medium": (0xF6, 0.0045), "low": (0xE0, 0.0016)}


def convert_temperature(raw: int) -> float:
    return -45.0 + 175.0 * raw / 65535.0


def convert_humidity(raw: int) -> float:
    return min(max(-6.0 + 125.0 * raw / 65535.0, 0.0), 100.0)


@dataclass
class Sht4xOptions:
    bus: int = option(1, help="I2C bus number (/dev/i2c-N)", minimum=0)
    address: I2cAddress = option(
        0x44,
        help="I2C address (0x44 for SHT4x-A, 0x45 for -B, 0x46 for -C)",
        choices=addresses(0x44, 0x45, 0x46),
    )
    precision: str = option("high", help="measurement precision (repeatability)", choices=tuple(MEASURE))


class Sht4x(I2cDriver):
    type_name = "sht4x"
    summary = "Sensirion SHT40/SHT41/SHT45 temperature and humidity sensor (I2C)"
    chip_name = "SHT4x"
    Options = Sht4xOptions

    def quantities(self) -> list[Quantity]:
        return [
            Quantity("temperature", "°C", "temperature", precision=2),
            Quantity("humidity", "%", "humidity", precision=1),
        ]

    def read_chip(self) -> dict[str, Any]:
        command, duration = MEASURE[self.options.precision]
        self.write_bytes(command)
        time.sleep(duration)
        raw_temperature, raw_humidity = self.unpack_words(self.read_bytes(6), "measurement")
        temperature = convert_temperature(raw_temperature)
        return {
            "temperature": check_range(self, "temperature", temperature, -40.0, 125.0, "°C"),
            "humidity": convert_humidity(raw_humidity),
        }

    @classmethod
    def simulate(cls, options: Any, simulation: Any) -> None:
        from agents.sim.chips.sht4x import Sht4xChip
        from agents.sim.drift import animate_climate

        chip = simulation.i2c_bus(options.bus).attach(options.address, Sht4xChip())
        animate_climate(simulation, chip, f"sht4x-{options.bus}-{options.address}")


DRIVERS = (Sht4x,)
