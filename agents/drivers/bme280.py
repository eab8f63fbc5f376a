"""Bosch BME280 (temperature, pressure, humidity) and BMP280 (temperature, pressure) over I2C.

Forced mode: each read writes ctrl_hum (0xF2) then ctrl_meas (0xF4) to start one measurement, waits
the datasheet's maximum measurement time, polls status (0xF3) until ``measuring`` clears, and burst-reads
0xF7-0xFE. Compensation uses the datasheet's floating-point formulas (BME280 datasheet section 8.1,
BMP280 section 8.1) with the calibration words read once from 0x88-0xA1 and 0xE1-0xE7.
"""

# ruff: noqa: RUF009 - option() returns a dataclasses.field, like field() itself

from __future__ import annotations

import struct
import time
from dataclasses import dataclass
from typing import Any

from agents.drivers.base import Quantity
from agents.drivers.i2c import I2cDriver, addresses, check_range
from agents.drivers.options import I2cAddress, option

CHIP_ID_REGISTER = 0xD0
BME280_CHIP_ID = 0x60
BMP280_CHIP_IDS = (0x56, 0x57, 0x58)  # 0x56/0x57 are BMP280 samples, 0x58 mass production
CALIBRATION_START, CALIBRATION_LENGTH = 0x88, 26  # 0x88-0xA1 (0xA0 unused, 0xA1 is dig_H1)
HUMIDITY_CALIBRATION_START, HUMIDITY_CALIBRATION_LENGTH = 0xE1, 7  # 0xE1-0xE7
CTRL_HUM, STATUS, CTRL_MEAS, CONFIG, DATA_START = 0xF2, 0xF3, 0xF4, 0xF5, 0xF7
STATUS_MEASURING = 0x08
FORCED_MODE = 0b01
OVERSAMPLING_CODES = {0: 0, 1: 1, 2: 2, 4: 3, 8: 4, 16: 5}
SKIPPED_20BIT, SKIPPED_16BIT = 0x80000, 0x8000  # what the data registers hold for a skipped measurement
OVERSAMPLING_CHOICES = (1, 2, 4, 8, 16)


@dataclass(frozen=True)
class Calibration:
    """The trimming parameters dig_T1..dig_H6 (names as in the datasheet, without the ``dig_``)."""

    T1: int
    T2: int
    T3: int
    P1: int
    P2: int
    P3: int
    P4: int
    P5: int
    P6: int
    P7: int
    P8: int
    P9: int
    H1: int = 0
    H2: int = 0
    H3: int = 0
    H4: int = 0
    H5: int = 0
    H6: int = 0

    @classmethod
    def from_registers(cls, block_88: bytes, block_e1: bytes | None = None) -> Calibration:
        """Parse 0x88-0xA1 (26 bytes) and, for a BME280, 0xE1-0xE7 (7 bytes)."""
        t1, t2, t3, p1, p2, p3, p4, p5, p6, p7, p8, p9 = struct.unpack("<HhhHhhhhhhhh", bytes(block_88[:24]))
        if block_e1 is None:
            return cls(t1, t2, t3, p1, p2, p3, p4, p5, p6, p7, p8, p9)
        e1 = bytes(block_e1)
        h2 = struct.unpack("<h", e1[0:2])[0]
        e4, e5, e6 = struct.unpack("<b", e1[3:4])[0], e1[4], struct.unpack("<b", e1[5:6])[0]
        h4 = e4 * 16 | (e5 & 0x0F)  # 0xE4 holds bits 11:4, 0xE5 bits 3:0
        h5 = e6 * 16 | (e5 >> 4)  # 0xE6 holds bits 11:4, 0xE5 bits 7:4 hold bits 3:0
        h6 = struct.unpack("<b", e1[6:7])[0]
        return cls(t1, t2, t3, p1, p2, p3, p4, p5, p6, p7, p8, p9, block_88[25], h2, e1[2], h4, h5, h6)


def compensate_temperature(adc_t: int, cal: Calibration) -> tuple[float, float]:
    """Temperature in °C and t_fine (the fine temperature the other formulas need).

    t_fine stays a float: Bosch's worked example (t_fine 128422.29 -> 100653.27 Pa) is computed that
    way; the datasheet's C code truncates it to an int, which moves pressure by less than 0.01 Pa.
    """
    var1 = (adc_t / 16384.0 - cal.T1 / 1024.0) * cal.T2
    var2 = (adc_t / 131072.0 - cal.T1 / 8192.0) ** 2 * cal.T3
    return (var1 + var2) / 5120.0, var1 + var2


def compensate_pressure(adc_p: int, t_fine: float, cal: Calibration) -> float:
    """Pressure in Pa."""
    var1 = t_fine / 2.0 - 64000.0
    var2 = var1 * var1 * cal.P6 / 32768.0
    var2 = var2 + var1 * cal.P5 * 2.0
    var2 = var2 / 4.0 + cal.P4 * 65536.0
    var1 = (cal.P3 * var1 * var1 / 524288.0 + cal.P2 * var1) / 524288.0
    var1 = (1.0 + var1 / 32768.0) * cal.P1
    if var1 == 0:
        return 0.0  # avoids a division by zero, as the datasheet does
    pressure = 1048576.0 - adc_p
    pressure = (pressure - var2 / 4096.0) * 6250.0 / var1
    var1 = cal.P9 * pressure * pressure / 2147483648.0
    var2 = pressure * cal.P8 / 32768.0
    return pressure + (var1 + var2 + cal.P7) / 16.0


def compensate_humidity(adc_h: int, t_fine: float, cal: Calibration) -> float:
    """Relative humidity in %, clipped to 0-100 as the datasheet does."""
    h = t_fine - 76800.0
    h = (adc_h - (cal.H4 * 64.0 + cal.H5 / 16384.0 * h)) * (
        cal.H2 / 65536.0 * (1.0 + cal.H6 / 67108864.0 * h * (1.0 + cal.H3 / 67108864.0 * h))
    )
    h = h * (1.0 - cal.H1 * h / 524288.0)
    return min(max(h, 0.0), 100.0)


def max_measurement_ms(osrs_t: int, osrs_p: int, osrs_h: int) -> float:
    """Maximum forced-mode measurement time (datasheet section 9.1), oversampling given as factors."""
    total = 1.25 + (2.3 * osrs_t if osrs_t else 0.0)
    total += 2.3 * osrs_p + 0.575 if osrs_p else 0.0
    total += 2.3 * osrs_h + 0.575 if osrs_h else 0.0
    return total


def split_data(data: bytes) -> tuple[int, int, int | None]:
    """adc_P, adc_T (20 bit) and adc_H (16 bit, None for 6 bytes) from the 0xF7 burst."""
    adc_p = data[0] << 12 | data[1] << 4 | data[2] >> 4
    adc_t = data[3] << 12 | data[4] << 4 | data[5] >> 4
    adc_h = data[6] << 8 | data[7] if len(data) >= 8 else None
    return adc_p, adc_t, adc_h


@dataclass
class Bmp280Options:
    bus: int = option(1, help="I2C bus number (/dev/i2c-N)", minimum=0)
    address: I2cAddress = option(
        0x76, help="I2C address (0x76 with SDO low, 0x77 with SDO high)", choices=addresses(0x76, 0x77)
    )
    oversampling_temperature: int = option(
        1, help="temperature oversampling (1 = 16-bit)", choices=OVERSAMPLING_CHOICES
    )
    oversampling_pressure: int = option(
        1, help="pressure oversampling (16 = 20-bit, slowest)", choices=OVERSAMPLING_CHOICES
    )


@dataclass
class Bme280Options(Bmp280Options):
    oversampling_humidity: int = option(1, help="humidity oversampling", choices=OVERSAMPLING_CHOICES)


class Bmp280(I2cDriver):
    type_name = "bmp280"
    summary = "Bosch BMP280 temperature and barometric pressure sensor (I2C)"
    chip_name = "BMP280"
    Options = Bmp280Options
    has_humidity = False

    def __init__(self, options: Any, hardware: Any) -> None:
        super().__init__(options, hardware)
        self.calibration: Calibration | None = None

    def quantities(self) -> list[Quantity]:
        found = [
            Quantity("temperature", "°C", "temperature", precision=2),
            Quantity("pressure", "hPa", "atmospheric_pressure", precision=2),
        ]
        if self.has_humidity:
            found.append(Quantity("humidity", "%", "humidity", precision=1))
        return found

    def accepts_chip_id(self, chip_id: int) -> bool:
        return chip_id == BME280_CHIP_ID or chip_id in BMP280_CHIP_IDS

    def set_up(self) -> None:
        chip_id = self.bus.read_byte_data(self.address, CHIP_ID_REGISTER)
        if not self.accepts_chip_id(chip_id):
            raise self.fail(f"unexpected chip id 0x{chip_id:02x} (BME280 is 0x60, BMP280 0x58)")
        block_88 = bytes(self.bus.read_i2c_block_data(self.address, CALIBRATION_START, CALIBRATION_LENGTH))
        block_e1 = None
        if self.has_humidity:
            block_e1 = bytes(
                self.bus.read_i2c_block_data(
                    self.address, HUMIDITY_CALIBRATION_START, HUMIDITY_CALIBRATION_LENGTH
                )
            )
        self.calibration = Calibration.from_registers(block_88, block_e1)
        if self.calibration.T1 == 0 or self.calibration.P1 == 0:
            raise self.fail("calibration block reads as zero (chip not ready or damaged)")
        self.bus.write_byte_data(self.address, CONFIG, 0x00)  # IIR filter off, no standby in forced mode

    def start_measurement(self) -> None:
        options = self.options
        if self.has_humidity:
            self.bus.write_byte_data(
                self.address, CTRL_HUM, OVERSAMPLING_CODES[options.oversampling_humidity]
            )
        ctrl_meas = (
            OVERSAMPLING_CODES[options.oversampling_temperature] << 5
            | OVERSAMPLING_CODES[options.oversampling_pressure] << 2
            | FORCED_MODE
        )
        self.bus.write_byte_data(self.address, CTRL_MEAS, ctrl_meas)

    def read_chip(self) -> dict[str, Any]:
        options = self.options
        self.start_measurement()
        humidity_factor = options.oversampling_humidity if self.has_humidity else 0
        wait_ms = max_measurement_ms(
            options.oversampling_temperature, options.oversampling_pressure, humidity_factor
        )
        time.sleep(wait_ms / 1000)
        self.wait_until(
            lambda: not self.bus.read_byte_data(self.address, STATUS) & STATUS_MEASURING,
            timeout=wait_ms / 1000 + 0.05,
            what="measurement",
        )
        data = bytes(self.bus.read_i2c_block_data(self.address, DATA_START, 8 if self.has_humidity else 6))
        return self.convert(data)

    def convert(self, data: bytes) -> dict[str, Any]:
        assert self.calibration is not None
        adc_p, adc_t, adc_h = split_data(data)
        if adc_t == SKIPPED_20BIT or adc_p == SKIPPED_20BIT or adc_h == SKIPPED_16BIT:
            raise self.fail("the chip reported a skipped measurement (no data yet)")
        temperature, t_fine = compensate_temperature(adc_t, self.calibration)
        pressure = compensate_pressure(adc_p, t_fine, self.calibration) / 100.0
        readings: dict[str, Any] = {
            "temperature": check_range(self, "temperature", temperature, -40.0, 85.0, "°C"),
            "pressure": check_range(self, "pressure", pressure, 300.0, 1100.0, "hPa"),
        }
        if adc_h is not None:
            readings["humidity"] = compensate_humidity(adc_h, t_fine, self.calibration)
        return readings

    @classmethod
    def simulate(cls, options: Any, simulation: Any) -> None:
        from agents.sim.chips.bme280 import simulate_bme280

        simulate_bme280(
            options, simulation, chip_id=BME280_CHIP_ID if cls.has_humidity else BMP280_CHIP_IDS[-1]
        )


class Bme280(Bmp280):
    type_name = "bme280"
    summary = "Bosch BME280 temperature, humidity and barometric pressure sensor (I2C)"
    chip_name = "BME280"
    Options = Bme280Options
    has_humidity = True

    def accepts_chip_id(self, chip_id: int) -> bool:
        if chip_id in BMP280_CHIP_IDS:
            raise self.fail(f"chip id 0x{chip_id:02x} is a BMP280 (no humidity): use type bmp280")
        return chip_id == BME280_CHIP_ID


DRIVERS = (Bme280, Bmp280)
