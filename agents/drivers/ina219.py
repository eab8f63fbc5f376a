"""TI INA219 current, bus voltage and power monitor over I2C.

Calibration follows the datasheet (section 8.5.1): Current_LSB = max_current / 2^15,
Cal = trunc(0.04096 / (Current_LSB * R_shunt)), Power_LSB = 20 * Current_LSB. Each read writes the
calibration (it is lost on a brown-out) and a triggered shunt-and-bus conversion, waits for the
conversion-ready bit, and reads shunt (LSB 10 µV), bus (bits 15-3, LSB 4 mV), power and current.
"""

# ruff: noqa: RUF009 - option() returns a dataclasses.field, like field() itself

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from agents.drivers.base import Quantity
from agents.drivers.i2c import I2cDriver, addresses
from agents.drivers.options import I2cAddress, option

CONFIG, SHUNT_VOLTAGE, BUS_VOLTAGE, POWER, CURRENT, CALIBRATION = range(6)
SHUNT_LSB, BUS_LSB = 10e-6, 4e-3  # volts
PGA_RANGES = {0.04: 0b00, 0.08: 0b01, 0.16: 0b10, 0.32: 0b11}  # shunt full scale (V) -> PG bits
ADC_12BIT, TRIGGERED_SHUNT_AND_BUS = 0b0011, 0b011
CONVERSION_TIME = 2 * 532e-6  # 12-bit shunt then 12-bit bus conversion (datasheet table 5)
CONVERSION_READY, MATH_OVERFLOW = 0b10, 0b01
ADDRESSES = tuple(range(0x40, 0x50))


def current_lsb_for(max_current: float) -> float:
    """The smallest current LSB that still covers ``max_current`` (datasheet equation 2)."""
    return max_current / 32768.0


def calibration_value(shunt_ohms: float, current_lsb: float) -> int:
    """The calibration register (datasheet equation 1); bit 0 is void and always reads 0."""
    return int(0.04096 / (current_lsb * shunt_ohms)) & 0xFFFE


def shunt_range_for(max_current: float, shunt_ohms: float) -> float:
    """The smallest PGA range holding the shunt drop at ``max_current``."""
    drop = max_current * shunt_ohms
    for full_scale in PGA_RANGES:
        if drop <= full_scale * (1 + 1e-9):  # 3.2 A * 0.1 ohm is 0.32000000000000006
            return full_scale
    raise ValueError(
        f"max_current * shunt_ohms = {drop * 1000:.0f} mV exceeds the INA219's 320 mV shunt range: "
        "lower max_current or use a smaller shunt"
    )


def config_word(bus_range: int, shunt_range: float) -> int:
    brng = 1 if bus_range == 32 else 0
    return (
        brng << 13 | PGA_RANGES[shunt_range] << 11 | ADC_12BIT << 7 | ADC_12BIT << 3 | TRIGGERED_SHUNT_AND_BUS
    )


def signed16(raw: int) -> int:
    return raw - 0x10000 if raw & 0x8000 else raw


def bus_volts(raw: int) -> float:
    """Bus voltage register: the value sits in bits 15-3, LSB 4 mV."""
    return (raw >> 3) * BUS_LSB


def shunt_volts(raw: int) -> float:
    return signed16(raw) * SHUNT_LSB


def amperes(raw: int, current_lsb: float) -> float:
    return signed16(raw) * current_lsb


def watts(raw: int, current_lsb: float) -> float:
    return raw * 20.0 * current_lsb


@dataclass
class Ina219Options:
    bus: int = option(1, help="I2C bus number (/dev/i2c-N)", minimum=0)
    address: I2cAddress = option(
        0x40, help="I2C address (0x40-0x4f, set by A0/A1)", choices=addresses(*ADDRESSES)
    )
    shunt_ohms: float = option(
        0.1, help="shunt resistor in ohms (0.1 on most breakout boards)", minimum=0.0001
    )
    max_current: float = option(
        3.2, help="largest current expected, in amperes (sets range and resolution)", minimum=0.001
    )
    bus_voltage_range: int = option(32, help="bus voltage full-scale range in volts", choices=(16, 32))

    def __post_init__(self) -> None:
        shunt_range_for(self.max_current, self.shunt_ohms)
        if calibration_value(self.shunt_ohms, current_lsb_for(self.max_current)) == 0:
            raise ValueError("max_current * shunt_ohms is too large for the calibration register")
        if int(0.04096 / (current_lsb_for(self.max_current) * self.shunt_ohms)) > 0xFFFF:
            raise ValueError(
                "max_current is too small for this shunt: the calibration register would overflow"
            )


class Ina219(I2cDriver):
    type_name = "ina219"
    summary = "TI INA219 current, bus voltage and power monitor (I2C)"
    chip_name = "INA219"
    Options = Ina219Options

    def __init__(self, options: Any, hardware: Any) -> None:
        super().__init__(options, hardware)
        self.calibration = calibration_value(options.shunt_ohms, current_lsb_for(options.max_current))
        # The LSB the chip really uses after truncation of the calibration value.
        self.current_lsb = 0.04096 / (self.calibration * options.shunt_ohms)
        self.config = config_word(
            options.bus_voltage_range, shunt_range_for(options.max_current, options.shunt_ohms)
        )

    def quantities(self) -> list[Quantity]:
        return [
            Quantity("bus_voltage", "V", "voltage", precision=3),
            Quantity("current", "A", "current", precision=4),
            Quantity("power", "W", "power", precision=3),
        ]

    def read_register(self, register: int) -> int:
        high, low = self.bus.read_i2c_block_data(self.address, register, 2)
        return high << 8 | low

    def write_register(self, register: int, value: int) -> None:
        self.bus.write_i2c_block_data(self.address, register, [value >> 8, value & 0xFF])

    def read_chip(self) -> dict[str, Any]:
        self.write_register(CALIBRATION, self.calibration)
        self.write_register(CONFIG, self.config)  # writing the mode triggers one conversion
        time.sleep(CONVERSION_TIME)
        self.wait_until(
            lambda: bool(self.read_register(BUS_VOLTAGE) & CONVERSION_READY), 0.05, "conversion", poll=0.0005
        )
        bus = self.read_register(BUS_VOLTAGE)
        power = self.read_register(POWER)  # reading power clears the conversion-ready bit
        current = self.read_register(CURRENT)
        if bus & MATH_OVERFLOW:
            raise self.fail(
                "math overflow: the current or power is beyond the configured range (raise max_current)"
            )
        return {
            "bus_voltage": bus_volts(bus),
            "current": amperes(current, self.current_lsb),
            "power": watts(power, self.current_lsb),
        }

    @classmethod
    def simulate(cls, options: Any, simulation: Any) -> None:
        from agents.sim.chips.ina219 import simulate_ina219

        simulate_ina219(options, simulation)


DRIVERS = (Ina219,)
