"""Command-level AHT20: status byte, initialise, trigger, busy time, 20-bit signals, CRC-8, soft reset.

Every read starts with the status byte (busy bit 7, calibrated bit 3); after a trigger the status stays
busy for the measurement time and then six data bytes and a CRC follow. ``is_calibrated`` can start
False to exercise the initialise command; ``corrupt_crc`` flips the CRC byte.
"""

from __future__ import annotations

import time

from agents.drivers.sensirion import crc8
from agents.sim.i2c import I2cChip, Nack

TYPICAL_MEASUREMENT_TIME = 0.075
SOFT_RESET, STATUS_COMMAND = 0xBA, 0x71


def humidity_signal(percent: float) -> int:
    return min(max(round(percent / 100.0 * 1048576.0), 0), 0xFFFFF)


def temperature_signal(celsius: float) -> int:
    return min(max(round((celsius + 50.0) / 200.0 * 1048576.0), 0), 0xFFFFF)


class Aht20Chip(I2cChip):
    def __init__(self, is_calibrated: bool = True) -> None:
        super().__init__()
        self.temperature = 21.0
        self.humidity = 50.0
        self.is_calibrated = is_calibrated
        self.corrupt_crc = False
        self.clock = time.monotonic
        self.measurements = 0
        self._busy_until = 0.0
        self._data = bytes(5)

    def write(self, data: bytes) -> None:
        if data == bytes([0xBE, 0x08, 0x00]):
            self.is_calibrated = True
        elif data == bytes([0xAC, 0x33, 0x00]):
            self._busy_until = self.clock() + TYPICAL_MEASUREMENT_TIME
            h, t = humidity_signal(self.humidity), temperature_signal(self.temperature)
            self._data = bytes([h >> 12, h >> 4 & 0xFF, (h & 0x0F) << 4 | t >> 16, t >> 8 & 0xFF, t & 0xFF])
            self.measurements += 1
        elif data == bytes([SOFT_RESET]):
            self._busy_until = self.clock() + 0.020
        elif data != bytes([STATUS_COMMAND]):
            raise Nack

    def read(self, length: int) -> bytes:
        is_busy = self.clock() < self._busy_until
        status = (0x80 if is_busy else 0) | (0x08 if self.is_calibrated else 0) | 0x10
        frame = bytes([status]) + self._data
        frame += bytes([crc8(frame) ^ (0x01 if self.corrupt_crc else 0)])
        return (frame + bytes(length))[:length]
