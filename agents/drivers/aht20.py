"""Aosong AHT20 temperature and humidity over I2C (address 0x38).

Set-up reads the status byte and, if the calibration bit (bit 3) is clear, sends the initialise command
(0xBE 0x08 0x00). Each read triggers a measurement (0xAC 0x33 0x00), waits 80 ms, polls the busy bit
(bit 7), and reads seven bytes: status, 20-bit humidity, 20-bit temperature, CRC-8 (0x31, init 0xFF).
RH = S_RH / 2^20 · 100 %, T = S_T / 2^20 · 200 - 50 °C.
"""

# ruff: noqa: RUF009 - option() returns a dataclasses.field, like field() itself

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from agents.drivers.base import Quantity
from agents.drivers.i2c import I2cDriver, addresses, check_range
from agents.drivers.options import I2cAddress, option
from agents.drivers.sensirion import crc8

INITIALISE, TRIGGER = (0xBE, 0x08, 0x00), (0xAC, 0x33, 0x00)
STATUS_BUSY, STATUS_CALIBRATED = 0x80, 0x08
MEASUREMENT_TIME = 0.080


def split_measurement(data: bytes) -> tuple[int, int]:
    """The 20-bit humidity and temperature signals from bytes 1-5 of a measurement."""
    humidity = data[1] << 12 | data[2] << 4 | data[3] >> 4
    temperature = (data[3] & 0x0F) << 16 | data[4] << 8 | data[5]
    return humidity, temperature


def convert_humidity(raw: int) -> float:
    return raw / 1048576.0 * 100.0


def convert_temperature(raw: int) -> float:
    return raw / 1048576.0 * 200.0 - 50.0


@dataclass
class Aht20Options:
    bus: int = option(1, help="I2C bus number (/dev/i2c-N)", minimum=0)
    address: I2cAddress = option(0x38, help="I2C address (fixed at 0x38)", choices=addresses(0x38))


class Aht20(I2cDriver):
    type_name = "aht20"
    summary = "Aosong AHT20 temperature and humidity sensor (I2C)"
    chip_name = "AHT20"
    Options = Aht20Options

    def quantities(self) -> list[Quantity]:
        return [
            Quantity("temperature", "°C", "temperature", precision=1),
            Quantity("humidity", "%", "humidity", precision=1),
        ]

    def set_up(self) -> None:
        if not self.read_bytes(1)[0] & STATUS_CALIBRATED:
            self.write_bytes(*INITIALISE)
            time.sleep(0.010)
            if not self.read_bytes(1)[0] & STATUS_CALIBRATED:
                raise self.fail("the chip stays uncalibrated after the initialise command")

    def read_chip(self) -> dict[str, Any]:
        self.write_bytes(*TRIGGER)
        time.sleep(MEASUREMENT_TIME)
        self.wait_until(lambda: not self.read_bytes(1)[0] & STATUS_BUSY, 0.1, "measurement", poll=0.005)
        data = self.read_bytes(7)
        if crc8(data[:6]) != data[6]:
            raise self.fail(f"CRC mismatch: got 0x{data[6]:02x}, expected 0x{crc8(data[:6]):02x}")
        raw_humidity, raw_temperature = split_measurement(data)
        temperature = convert_temperature(raw_temperature)
        return {
            "temperature": check_range(self, "temperature", temperature, -40.0, 85.0, "°C"),
            "humidity": convert_humidity(raw_humidity),
        }

    @classmethod
    def simulate(cls, options: Any, simulation: Any) -> None:
        from agents.sim.chips.aht20 import Aht20Chip
        from agents.sim.drift import animate_climate

        chip = simulation.i2c_bus(options.bus).attach(options.address, Aht20Chip())
        animate_climate(simulation, chip, f"aht20-{options.bus}-{options.address}")


DRIVERS = (Aht20,)
