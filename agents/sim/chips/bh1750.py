"""Instruction-level BH1750: power down/on, reset, continuous and one-time modes, measurement time.

Set ``lux``. A measurement command stores its result ``typical`` seconds later (120 ms in the high
resolution modes, 16 ms in low); until then a read returns the previous result, as the real chip does.
One-time modes power the chip down afterwards. Changing MTreg is not emulated (NACKed).
"""

from __future__ import annotations

import time

from agents.sim.i2c import I2cChip, Nack

POWER_DOWN, POWER_ON, RESET = 0x00, 0x01, 0x07
# command -> (typical measurement time, counts per lux, is one-time, low resolution step in counts)
MODES = {
    0x10: (0.120, 1.2, False, 1),
    0x11: (0.120, 2.4, False, 1),
    0x13: (0.016, 1.2, False, 4),
    0x20: (0.120, 1.2, True, 1),
    0x21: (0.120, 2.4, True, 1),
    0x23: (0.016, 1.2, True, 4),
}


class Bh1750Chip(I2cChip):
    def __init__(self) -> None:
        super().__init__()
        self.lux = 300.0
        self.clock = time.monotonic
        self.is_powered = False
        self.data = 0
        self.measurements = 0
        self._mode: int | None = None
        self._done_at = 0.0

    def write(self, data: bytes) -> None:
        if len(data) != 1:
            raise Nack
        instruction = data[0]
        self._settle()
        if instruction == POWER_DOWN:
            self.is_powered, self._mode = False, None
        elif instruction == POWER_ON:
            self.is_powered = True
        elif instruction == RESET:
            if self.is_powered:
                self.data = 0
        elif instruction in MODES:
            self.is_powered = True
            self._mode = instruction
            self._done_at = self.clock() + MODES[instruction][0]
        else:
            raise Nack

    def read(self, length: int) -> bytes:
        self._settle()
        return (self.data.to_bytes(2, "big") * length)[:length]

    def _settle(self) -> None:
        """Complete a measurement whose time is up."""
        if self._mode is None or self.clock() < self._done_at:
            return
        duration, counts_per_lux, is_one_time, step = MODES[self._mode]
        counts = round(max(self.lux, 0.0) * counts_per_lux / step) * step
        self.data = min(counts, 0xFFFF)
        self.measurements += 1
        if is_one_time:
            self._mode, self.is_powered = None, False
        else:
            self._done_at = self.clock() + duration
