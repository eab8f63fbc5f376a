"""Command-level SHT3x: single-shot and periodic measurements, status, heater, soft reset, CRCs.

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
PERIODIC_RATES = {0x20: 0.5, 0x21: 1.0, 0x22: 2.0, 0x23: 4.0, 0x27: 10.0}  # command MSB -> measurements/s
PERIODIC_LSBS = {0x32, 0x24, 0x2F, 0x30, 0x26, 0x2D, 0x36, 0x20, 0x2B, 0x34, 0x22, 0x29, 0x37, 0x21, 0x2A}
FETCH_DATA, BREAK, ART = 0xE000, 0x3093, 0x2B32
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
        self.periodic_rate: float | None = None  # measurements per second while in periodic mode
        self._periodic_since = 0.0
        self._fetched = 0

    def on_command(self, command: int, arguments: bytes) -> None:
        if arguments:
            raise Nack
        if self.periodic_rate is not None and command not in (FETCH_DATA, BREAK, SOFT_RESET, READ_STATUS):
            raise Nack  # the datasheet: stop periodic mode with the break command first
        if self._is_periodic_command(command):
            self.periodic_rate = 4.0 if command == ART else PERIODIC_RATES[command >> 8]
            self._periodic_since, self._fetched = self.clock(), 0
        elif command == FETCH_DATA:
            self._fetch()
        elif command == BREAK:
            self.periodic_rate = None
        elif command in SINGLE_SHOT_DURATIONS:
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
            self.reply, self.periodic_rate = None, None
        elif command == HEATER_ON:
            self.status |= STATUS_HEATER
        elif command == HEATER_OFF:
            self.status &= ~STATUS_HEATER
        else:
            raise Nack

    @staticmethod
    def _is_periodic_command(command: int) -> bool:
        return command == ART or (command >> 8 in PERIODIC_RATES and command & 0xFF in PERIODIC_LSBS)

    def _fetch(self) -> None:
        """Periodic mode's fetch: the latest measurement, or a NACKed read if none is new."""
        if self.periodic_rate is None:
            raise Nack
        done = int((self.clock() - self._periodic_since) * self.periodic_rate)
        if done <= self._fetched:
            self.reply = None
            return
        self._fetched = done
        self.measurements += 1
        self.respond(temperature_ticks(self.temperature), humidity_ticks(self.humidity))
