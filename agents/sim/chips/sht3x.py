"""Command-level SHT3x: single-shot measurements, status register, heater, soft reset, CRCs.

Reading before a single-shot measurement has finished is NACKed (clock stretching disabled), as is a
read with no measurement pending, exactly as the datasheet describes.
"""

from __future__ import annotations

from agents.sim.chips.base import CommandChip, ticks_for
from agents.sim.i2c import Nack

# single-shot commands: (clock stretching disabled, enabled) per repeatability, typical durations in seconds
SINGLE_SHOT_DURATIONS = {
    0x2400: 0.0125,
    0x240B: 0.0045,
    0x2416: 0.0025,
    0x2C06: 0.0125,
    0x2C0D: 0.0045,
    0x2C10: 0.0025,
}
READ_STATUS, CLEAR_STATUS, SOFT_RESET, HEATER_ON, HEATER_OFF = 0xF32D, 0x3041, 0x30A2, 0x306D, 0x3066
STATUS_HEATER, STATUS_RESET_DETECTED = 1 << 13, 1 << 4


def temperature_ticks(celsius: float) -> int:
    return ticks_for(celsius + 45.0, 175.0 / 65535.0, 16, signed=False)


def humidity_ticks(percent: float) -> int:
    return ticks_for(percent, 100.0 / 65535.0, 16, signed=False)


class Sht3xChip(CommandChip):
    """Set ``temperature`` (°C) and ``humidity`` (%RH); ``measurements`` counts completed single shots."""

    def __init__(self) -> None:
        super().__init__()
        self.temperature = 21.0
        self.humidity = 50.0
        self.status = STATUS_RESET_DETECTED
        self.measurements = 0

    def on_command(self, command: int, arguments: bytes) -> None:
        if arguments:
            raise Nack
        if command in SINGLE_SHOT_DURATIONS:
            self.measurements += 1
            self.respond(
                temperature_ticks(self.temperature),
                humidity_ticks(self.humidity),
                delay=SINGLE_SHOT_DURATIONS[command],
            )
        elif command == READ_STATUS:
            self.respond(self.status)
        elif command == CLEAR_STATUS:
            self.status &= ~STATUS_RESET_DETECTED
        elif command == SOFT_RESET:
            self.status = STATUS_RESET_DETECTED
            self.reply = None
        elif command == HEATER_ON:
            self.status |= STATUS_HEATER
        elif command == HEATER_OFF:
            self.status &= ~STATUS_HEATER
        else:
            raise Nack
