"""Register-level ADS1115: config/conversion/threshold registers, single-shot and continuous modes.

Inputs are set as volts on ``inputs[0..3]`` (AIN0-AIN3 against GND). A single-shot conversion starts
when OS is written as 1, takes one data-rate period (OS reads 0 meanwhile), and stores the code for the
selected MUX and PGA, clipped to the 16-bit range like the real converter.
"""

from __future__ import annotations

import time
from typing import Any

from agents.sim.chips.base import WordRegisterChip, ticks_for
from agents.sim.drift import Drift, is_live

CONVERSION, CONFIG, LO_THRESH, HI_THRESH = 0x00, 0x01, 0x02, 0x03
FULL_SCALES = (6.144, 4.096, 2.048, 1.024, 0.512, 0.256, 0.256, 0.256)  # PGA code -> volts
DATA_RATES = (8, 16, 32, 64, 128, 250, 475, 860)
DIFFERENTIAL = ((0, 1), (0, 3), (1, 3), (2, 3))  # MUX 000-011: AINp, AINn


class Ads1115Chip(WordRegisterChip):
    writable = frozenset({CONFIG, LO_THRESH, HI_THRESH})

    def __init__(self) -> None:
        super().__init__()
        self.inputs = [0.0, 0.0, 0.0, 0.0]
        self.clock = time.monotonic
        self.conversions = 0
        self.registers = {CONVERSION: 0x0000, CONFIG: 0x8583, LO_THRESH: 0x8000, HI_THRESH: 0x7FFF}
        self._done_at: float | None = None

    def on_write(self, register: int, value: int) -> None:
        if register != CONFIG:
            self.registers[register] = value
            return
        self.registers[CONFIG] = value & 0x7FFF  # OS reads 0 while converting
        if value & 0x8000 or not value & 0x0100:  # OS=1 starts one conversion; MODE=0 converts continuously
            self._done_at = self.clock() + 1.0 / DATA_RATES[value >> 5 & 0b111]

    def on_read(self, register: int) -> int:
        config = self.registers[CONFIG]
        if self._done_at is not None and self.clock() >= self._done_at:
            self.registers[CONVERSION] = self.code_for(config)
            self.conversions += 1
            if config & 0x0100:
                self.registers[CONFIG] |= 0x8000
                self._done_at = None
            else:
                self._done_at = self.clock() + 1.0 / DATA_RATES[config >> 5 & 0b111]
        return self.registers[register]

    def code_for(self, config: int) -> int:
        mux = config >> 12 & 0b111
        volts = (
            self.inputs[mux - 4]
            if mux >= 4
            else self.inputs[DIFFERENTIAL[mux][0]] - self.inputs[DIFFERENTIAL[mux][1]]
        )
        full_scale = FULL_SCALES[config >> 9 & 0b111]
        return ticks_for(volts, full_scale / 32768.0, 16, signed=True) & 0xFFFF


def simulate_ads1115(options: Any, simulation: Any) -> Ads1115Chip:
    """Each named channel wanders around its own level below the full-scale range."""
    chip = Ads1115Chip()
    simulation.i2c_bus(options.bus).attach(options.address, chip)
    seed = f"ads1115-{options.bus}-{options.address}"
    limit = min(options.full_scale_range, 3.3)
    drifts = {
        channel: Drift(limit * (0.3 + 0.15 * channel), limit * 0.1, seed=f"{seed}-{channel}")
        for channel in options.channels
    }
    for channel, drift in drifts.items():
        chip.inputs[channel] = drift.value

    def step(now: float) -> None:
        if not is_live(chip):
            simulation.remove_background(step)
            return
        for channel, drift in drifts.items():
            chip.inputs[channel] = drift.advance(now)

    simulation.add_background(step)
    return chip
