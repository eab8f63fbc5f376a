"""Register-level BME280/BMP280: chip id, calibration block, forced-mode measurements, status.

Raw ADC values are found by numerically inverting the datasheet's compensation formulas for the
physical values set on the chip, then truncated to the resolution the oversampling setting gives
(16 bits at x1 up to 20 bits at x16), so a driver reading them back sees what a real chip would send.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from typing import Any

from agents.drivers.bme280 import (
    BME280_CHIP_ID,
    Calibration,
    compensate_humidity,
    compensate_pressure,
    compensate_temperature,
    max_measurement_ms,
)
from agents.sim.chips.base import ByteRegisterChip, bisect_raw
from agents.sim.drift import Drift, animate

# The Bosch worked example's temperature and pressure trimming, plus humidity trimming of a real part.
EXAMPLE_CALIBRATION = Calibration(
    27504, 26435, -1000, 36477, -10685, 3024, 2855, 140, -7, 15500, -14600, 6000, 75, 362, 0, 313, 50, 30
)
OVERSAMPLING_FACTORS = (0, 1, 2, 4, 8, 16, 16, 16)  # osrs code -> factor
RESET_REGISTER, RESET_WORD = 0xE0, 0xB6
SLEEP_MODE, NORMAL_MODE = 0b00, 0b11
STANDBY_MS_BME280 = (0.5, 62.5, 125, 250, 500, 1000, 10, 20)  # config t_sb code -> ms
STANDBY_MS_BMP280 = (0.5, 62.5, 125, 250, 500, 1000, 2000, 4000)
READ_ONLY = range(0x80, 0xF2)  # id, calibration and reset area are not writable (reset handled apart)


def calibration_registers(cal: Calibration) -> dict[int, bytes]:
    """The calibration as the chip stores it: 0x88-0x9F, 0xA1 and 0xE1-0xE7 (H4/H5 packed in 12 bits)."""
    block_88 = struct.pack(
        "<HhhHhhhhhhhh",
        cal.T1,
        cal.T2,
        cal.T3,
        cal.P1,
        cal.P2,
        cal.P3,
        cal.P4,
        cal.P5,
        cal.P6,
        cal.P7,
        cal.P8,
        cal.P9,
    )
    e4 = cal.H4 >> 4 & 0xFF
    e5 = (cal.H4 & 0x0F) | (cal.H5 & 0x0F) << 4
    e6 = cal.H5 >> 4 & 0xFF
    block_e1 = struct.pack("<hB", cal.H2, cal.H3) + bytes([e4, e5, e6, cal.H6 & 0xFF])
    return {0x88: block_88, 0xA1: bytes([cal.H1]), 0xE1: block_e1}


class Bme280Chip(ByteRegisterChip):
    """A BME280 (id 0x60) or BMP280 (0x58); set ``temperature`` (°C), ``pressure`` (hPa), ``humidity`` (%)."""

    def __init__(self, chip_id: int = BME280_CHIP_ID, calibration: Calibration = EXAMPLE_CALIBRATION) -> None:
        super().__init__()
        self.chip_id = chip_id
        self.calibration = calibration
        self.temperature = 21.0
        self.pressure = 1013.25
        self.humidity = 45.0
        self.clock = time.monotonic
        self.measurements = 0
        self._done_at = 0.0
        self._pending: bytes | None = None
        self._next_start = 0.0
        self.reset()

    @property
    def has_humidity(self) -> bool:
        return self.chip_id == BME280_CHIP_ID

    def reset(self) -> None:
        """Power-on state: sleep mode, data registers holding the 'skipped' pattern."""
        self.registers = bytearray(256)
        self.registers[0xD0] = self.chip_id
        for start, block in calibration_registers(self.calibration).items():
            if start == 0xE1 and not self.has_humidity:
                continue
            self.registers[start : start + len(block)] = block
        self.registers[0xF7:0xFF] = bytes([0x80, 0, 0, 0x80, 0, 0, 0x80, 0])
        self._pending = None

    def on_write(self, register: int, value: int) -> None:
        if register == RESET_REGISTER:
            if value == RESET_WORD:
                self.reset()
            return
        if register in READ_ONLY or register in (0xF3,) or register >= 0xF7:
            return
        if register == 0xF2 and not self.has_humidity:
            return
        self.registers[register] = value
        if register == 0xF4 and value & 0b11 != SLEEP_MODE:
            self._start_measurement(self.clock())

    def on_read(self, register: int) -> int:
        self._finish_if_due()
        if register == 0xF3:
            return 0x08 if self._pending is not None else 0x00
        return self.registers[register]

    def _start_measurement(self, start: float) -> None:
        ctrl_meas = self.registers[0xF4]
        osrs_t = OVERSAMPLING_FACTORS[ctrl_meas >> 5 & 0b111]
        osrs_p = OVERSAMPLING_FACTORS[ctrl_meas >> 2 & 0b111]
        osrs_h = OVERSAMPLING_FACTORS[self.registers[0xF2] & 0b111] if self.has_humidity else 0
        self._pending = self.measurement_registers(osrs_t, osrs_p, osrs_h)
        # Typical time is about 80 % of the maximum; being done early keeps a driver that waits right honest.
        self._done_at = start + 0.8 * max_measurement_ms(osrs_t, osrs_p, osrs_h) / 1000

    def _finish_if_due(self) -> None:
        """Complete a measurement whose time is up; in normal mode start the next after t_standby."""
        now = self.clock()
        for _ in range(2):  # at most one completion and one new cycle per register access
            if self._pending is not None and now >= self._done_at:
                self.registers[0xF7:0xFF] = self._pending
                self._pending = None
                self.measurements += 1
                if self.registers[0xF4] & 0b11 == NORMAL_MODE:
                    self._next_start = self._done_at + self.standby_seconds()
                else:
                    self.registers[0xF4] &= ~0b11 & 0xFF  # back to sleep after a forced measurement
            if (
                self._pending is None
                and self.registers[0xF4] & 0b11 == NORMAL_MODE
                and now >= self._next_start
            ):
                self._start_measurement(max(self._next_start, now - 1.0))
                continue
            break

    def standby_seconds(self) -> float:
        code = self.registers[0xF5] >> 5
        table = STANDBY_MS_BME280 if self.has_humidity else STANDBY_MS_BMP280
        return table[code] / 1000

    def measurement_registers(self, osrs_t: int, osrs_p: int, osrs_h: int) -> bytes:
        """0xF7-0xFE for the current physical values and oversampling settings."""
        cal = self.calibration
        adc_t = raw_for(
            lambda raw: compensate_temperature(raw, cal)[0], self.temperature, osrs_t, increasing=True
        )
        t_fine = compensate_temperature(adc_t, cal)[1]
        adc_p = raw_for(
            lambda raw: compensate_pressure(raw, t_fine, cal) / 100.0, self.pressure, osrs_p, increasing=False
        )
        adc_h = 0x8000
        if self.has_humidity and osrs_h:
            adc_h = bisect_raw(lambda raw: compensate_humidity(raw, t_fine, cal), self.humidity, 0, 0xFFFF)
        data = [
            adc_p >> 12,
            adc_p >> 4 & 0xFF,
            (adc_p & 0x0F) << 4,
            adc_t >> 12,
            adc_t >> 4 & 0xFF,
            (adc_t & 0x0F) << 4,
            adc_h >> 8,
            adc_h & 0xFF,
        ]
        return bytes(data)


def raw_for(forward: Callable[[int], float], target: float, oversampling: int, *, increasing: bool) -> int:
    """The 20-bit register value for ``target`` at the resolution of ``oversampling`` (0x80000: skipped)."""
    if not oversampling:
        return 0x80000
    resolution_bits = 15 + oversampling.bit_length()  # x1 -> 16 bits ... x16 -> 20 bits
    shift = 20 - resolution_bits
    code = bisect_raw(
        lambda k: forward(k << shift), target, 1, (1 << resolution_bits) - 1, increasing=increasing
    )
    return code << shift


def simulate_bme280(options: Any, simulation: Any, *, chip_id: int) -> Bme280Chip:
    """Attach a drifting BME280/BMP280 at the configured bus and address."""
    chip = Bme280Chip(chip_id)
    simulation.i2c_bus(options.bus).attach(options.address, chip)
    seed = f"bme280-{options.bus}-{options.address}"
    drifts = {
        "temperature": Drift(21.5, 3.0, seed=seed + "t"),
        "pressure": Drift(1013.0, 8.0, seed=seed + "p"),
    }
    if chip.has_humidity:
        drifts["humidity"] = Drift(48.0, 12.0, seed=seed + "h")
    animate(simulation, chip, **drifts)
    return chip
