"""Register-level INA219: shunt and bus conversions, calibration, and the chip's own current and power math.

Set ``bus_voltage`` (V at VIN-) and ``current`` (A through the board's ``shunt_ohms``). The current and
power registers are computed as the datasheet says: Current = Shunt * Cal / 4096,
Power = Current * Bus / 5000 (register values), with the math overflow flag when they do not fit.
"""

from __future__ import annotations

import time
from typing import Any

from agents.sim.chips.base import WordRegisterChip
from agents.sim.drift import Drift, animate

CONFIG, SHUNT_VOLTAGE, BUS_VOLTAGE, POWER, CURRENT, CALIBRATION = range(6)
SHUNT_LIMITS = (4000, 8000, 16000, 32000)  # PG code -> full scale in 10 µV steps
CONVERSION_TIME = 2 * 532e-6


class Ina219Chip(WordRegisterChip):
    writable = frozenset({CONFIG, CALIBRATION})

    def __init__(self, shunt_ohms: float = 0.1) -> None:
        super().__init__()
        self.shunt_ohms = shunt_ohms
        self.bus_voltage = 5.0
        self.current = 0.25
        self.clock = time.monotonic
        self.conversions = 0
        self._done_at: float | None = None
        self._conversion_ready = False
        self.reset()

    def reset(self) -> None:
        self.registers = {
            CONFIG: 0x399F,
            SHUNT_VOLTAGE: 0,
            BUS_VOLTAGE: 0,
            POWER: 0,
            CURRENT: 0,
            CALIBRATION: 0,
        }
        self._done_at = self.clock()  # continuous mode after reset

    def on_write(self, register: int, value: int) -> None:
        if register == CONFIG and value & 0x8000:
            self.reset()
            return
        if register == CALIBRATION:
            value &= 0xFFFE  # bit 0 is void
        self.registers[register] = value
        if register == CONFIG and value & 0b011:
            self._done_at = self.clock() + CONVERSION_TIME

    def on_read(self, register: int) -> int:
        if self._done_at is not None and self.clock() >= self._done_at:
            self._convert()
        value = self.registers[register]
        if register == BUS_VOLTAGE and self._conversion_ready:
            value |= 0b10
        if register == POWER:
            self._conversion_ready = False
        return value

    def _convert(self) -> None:
        config = self.registers[CONFIG]
        shunt_limit = SHUNT_LIMITS[config >> 11 & 0b11]
        shunt = max(min(round(self.current * self.shunt_ohms / 10e-6), shunt_limit), -shunt_limit)
        bus_limit = 8000 if config & 0x2000 else 4000  # 32 V or 16 V full scale in 4 mV steps
        bus = max(min(round(self.bus_voltage / 4e-3), bus_limit), 0)
        current = int(shunt * self.registers[CALIBRATION] / 4096)
        power = int(abs(current) * bus / 5000)  # the power register holds magnitudes
        overflow = not -32768 <= current <= 32767 or not 0 <= power <= 0xFFFF
        self.registers[SHUNT_VOLTAGE] = shunt & 0xFFFF
        self.registers[CURRENT] = max(min(current, 32767), -32768) & 0xFFFF
        self.registers[POWER] = max(min(power, 0xFFFF), 0)
        self.registers[BUS_VOLTAGE] = bus << 3 | int(overflow)
        self._conversion_ready = True
        self.conversions += 1
        mode = config & 0b111
        self._done_at = self.clock() + CONVERSION_TIME if mode >= 0b101 else None


def simulate_ina219(options: Any, simulation: Any) -> Ina219Chip:
    chip = Ina219Chip(options.shunt_ohms)
    simulation.i2c_bus(options.bus).attach(options.address, chip)
    seed = f"ina219-{options.bus}-{options.address}"
    animate(
        simulation,
        chip,
        bus_voltage=Drift(5.05, 0.1, seed=seed + "-v"),
        current=Drift(options.max_current * 0.3, options.max_current * 0.2, seed=seed + "-i"),
    )
    return chip
