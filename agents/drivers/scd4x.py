"""Sensirion SCD40/SCD41 CO2, temperature and humidity over I2C, in periodic measurement mode.

Set-up (first read, and again after a failure): stop_periodic_measurement (0x3F86) and the 500 ms it
needs, optionally set_sensor_altitude (0x2427), then start_periodic_measurement (0x21B1; a new
measurement every 5 s) or start_low_power_periodic_measurement (0x21AC; every 30 s). Each read polls
get_data_ready_status (0xE4B8, ready when its low 11 bits are not all zero), then read_measurement
(0xEC05): CO2 in ppm, T = -45 + 175·S/65535, RH = 100·S/65535, every word with its CRC.
"""

# ruff: noqa: RUF009 - option() returns a dataclasses.field, like field() itself

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Any

from agents.drivers.base import Quantity
from agents.drivers.i2c import I2cDriver, addresses, check_range
from agents.drivers.options import I2cAddress, option
from agents.drivers.sensirion import pack_words

START_PERIODIC, START_LOW_POWER, STOP_PERIODIC = 0x21B1, 0x21AC, 0x3F86
GET_DATA_READY, READ_MEASUREMENT, SET_ALTITUDE = 0xE4B8, 0xEC05, 0x2427
STOP_DURATION, COMMAND_DURATION = 0.5, 0.001  # seconds (datasheet execution times)
INTERVALS = {"periodic": 5.0, "low_power": 30.0}  # seconds between measurements
DATA_READY_MASK = 0x07FF


def convert_temperature(raw: int) -> float:
    return -45.0 + 175.0 * raw / 65535.0


def convert_humidity(raw: int) -> float:
    return 100.0 * raw / 65535.0


def is_data_ready(status: int) -> bool:
    return bool(status & DATA_READY_MASK)


@dataclass
class Scd4xOptions:
    bus: int = option(1, help="I2C bus number (/dev/i2c-N)", minimum=0)
    address: I2cAddress = option(0x62, help="I2C address (fixed at 0x62)", choices=addresses(0x62))
    mode: str = option(
        "periodic", help="periodic (every 5 s) or low_power (every 30 s)", choices=tuple(INTERVALS)
    )
    altitude: int = option(
        0,
        help="sensor altitude in metres above sea level, for pressure compensation",
        minimum=0,
        maximum=3000,
    )


class Scd4x(I2cDriver):
    type_name = "scd4x"
    summary = "Sensirion SCD40/SCD41 CO2, temperature and humidity sensor (I2C)"
    chip_name = "SCD4x"
    Options = Scd4xOptions

    def quantities(self) -> list[Quantity]:
        return [
            Quantity("co2", "ppm", "carbon_dioxide", precision=0),
            Quantity("temperature", "°C", "temperature", precision=1),
            Quantity("humidity", "%", "humidity", precision=1),
        ]

    def send(self, command: int, *words: int) -> None:
        self.write_bytes(command >> 8, command & 0xFF, *pack_words(*words))

    def set_up(self) -> None:
        self.send(STOP_PERIODIC)  # accepted in idle mode too; makes a restart find a known state
        time.sleep(STOP_DURATION)
        if self.options.altitude:
            self.send(SET_ALTITUDE, self.options.altitude)
            time.sleep(COMMAND_DURATION)
        self.send(START_LOW_POWER if self.options.mode == "low_power" else START_PERIODIC)

    def query(self, command: int, words: int) -> list[int]:
        self.send(command)
        time.sleep(COMMAND_DURATION)
        return self.unpack_words(self.read_bytes(3 * words), f"reply to 0x{command:04x}")

    def read_chip(self) -> dict[str, Any]:
        interval = INTERVALS[self.options.mode]
        self.wait_until(
            lambda: is_data_ready(self.query(GET_DATA_READY, 1)[0]),
            timeout=interval + 1.0,
            what="periodic measurement",
            poll=0.05,
        )
        co2, raw_temperature, raw_humidity = self.query(READ_MEASUREMENT, 3)
        return {
            "co2": check_range(self, "CO2", co2, 0, 40000, "ppm"),
            "temperature": convert_temperature(raw_temperature),
            "humidity": convert_humidity(raw_humidity),
        }

    def close(self) -> None:
        """Stop measuring, which saves about 15 mA; a missing sensor is no reason to fail closing."""
        if self._bus is None:
            return
        with contextlib.suppress(OSError):
            self.send(STOP_PERIODIC)

    @classmethod
    def simulate(cls, options: Any, simulation: Any) -> None:
        from agents.sim.chips.scd4x import simulate_scd4x

        simulate_scd4x(options, simulation)


DRIVERS = (Scd4x,)
