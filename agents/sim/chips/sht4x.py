"""Command-level SHT4x: one-byte measurement commands, serial number, soft reset, CRCs."""

from __future__ import annotations

from agents.sim.chips.base import CommandChip, ticks_for
from agents.sim.i2c import Nack

MEASURE_DURATIONS = {0xFD: 0.0069, 0xF6: 0.0037, 0xE0: 0.0013}  # typical, seconds
READ_SERIAL, SOFT_RESET = 0x89, 0x94


def temperature_ticks(celsius: float) -> int:
    return ticks_for(celsius + 45.0, 175.0 / 65535.0, 16, signed=False)


def humidity_ticks(percent: float) -> int:
    return ticks_for(percent + 6.0, 125.0 / 65535.0, 16, signed=False)


class Sht4xChip(CommandChip):
    """Set ``temperature`` (°C) and ``humidity`` (%RH); ``serial_number`` is 32 bits."""

    command_bytes = 1

    def __init__(self, serial_number: int = 0x0F2A_5B31) -> None:
        super().__init__()
        self.temperature = 21.0
        self.humidity = 50.0
        self.serial_number = serial_number
        self.measurements = 0

    def on_command(self, command: int, arguments: bytes) -> None:
        if arguments:
            raise Nack
        if command in MEASURE_DURATIONS:
            self.measurements += 1
            self.respond(
                temperature_ticks(self.temperature),
                humidity_ticks(self.humidity),
                delay=MEASURE_DURATIONS[command],
            )
        elif command == READ_SERIAL:
            self.respond(self.serial_number >> 16, self.serial_number & 0xFFFF, delay=0.001)
        elif command == SOFT_RESET:
            self.reply = None
        else:
            raise Nack
