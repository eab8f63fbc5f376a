"""Register-level VEML7700: 16-bit little-endian command registers, shutdown, integration, ids.

Set ``lux``; once powered on (ALS_SD = 0) and one integration time has passed, the ALS register holds
``lux / resolution`` counts for the configured gain and integration time, clipped at 65535.
"""

from __future__ import annotations

import time

from agents.drivers.veml7700 import resolution
from agents.sim.chips.base import WordRegisterChip

ALS_CONF, ALS_WH, ALS_WL, POWER_SAVING, ALS, WHITE, ALS_INT, DEVICE_ID = range(8)
GAINS = {0b00: 1.0, 0b01: 2.0, 0b10: 0.125, 0b11: 0.25}
INTEGRATION_TIMES = {0b1100: 0.025, 0b1000: 0.05, 0b0000: 0.1, 0b0001: 0.2, 0b0010: 0.4, 0b0011: 0.8}
WHITE_PER_ALS = 1.3  # a plausible ratio of the WHITE to the ALS channel under daylight-like light


class Veml7700Chip(WordRegisterChip):
    byteorder = "little"
    writable = frozenset({ALS_CONF, ALS_WH, ALS_WL, POWER_SAVING})

    def __init__(self) -> None:
        super().__init__()
        self.lux = 250.0
        self.clock = time.monotonic
        self.registers = {
            ALS_CONF: 0x0001,  # shut down after power-on
            ALS_WH: 0,
            ALS_WL: 0,
            POWER_SAVING: 0,
            ALS: 0,
            WHITE: 0,
            ALS_INT: 0,
            DEVICE_ID: 0xC481,
        }
        self._powered_at: float | None = None

    @property
    def settings(self) -> tuple[float, float]:
        config = self.registers[ALS_CONF]
        return GAINS[config >> 11 & 0b11], INTEGRATION_TIMES.get(config >> 6 & 0b1111, 0.1)

    def on_write(self, register: int, value: int) -> None:
        previous = self.registers[register]
        self.registers[register] = value
        if register == ALS_CONF:
            is_on = not value & 1
            if is_on and (previous & 1 or previous != value):  # powered on, or settings changed
                self._powered_at = self.clock() + 0.0025
            elif not is_on:
                self._powered_at = None

    def on_read(self, register: int) -> int:
        if register in (ALS, WHITE) and self._powered_at is not None:
            gain, integration = self.settings
            if self.clock() >= self._powered_at + integration:
                counts = self.lux / resolution(gain, integration)
                self.registers[ALS] = min(round(counts), 0xFFFF)
                self.registers[WHITE] = min(round(counts * WHITE_PER_ALS), 0xFFFF)
        return self.registers[register]
