"""Register-level LM75: temperature (0x00), 8-bit configuration (0x01), THYST (0x02) and TOS (0x03).

``resolution`` is 9 bits for the original LM75 (0.5 °C steps) or 11 bits for the LM75A/B (0.125 °C).
In shutdown the temperature register keeps its last conversion.
"""

from __future__ import annotations

from agents.sim.chips.base import WordRegisterChip
from agents.sim.i2c import Nack

TEMPERATURE, CONFIGURATION, HYSTERESIS, OVERTEMPERATURE = 0x00, 0x01, 0x02, 0x03


def celsius_to_register(celsius: float, resolution: int = 9) -> int:
    """The left-aligned two's-complement register for ``celsius`` at ``resolution`` bits (-55..125 °C)."""
    steps = 1 << (resolution - 8)  # steps per °C
    code = round(min(max(celsius, -55.0), 125.0) * steps)
    return (code << (16 - resolution)) & 0xFFFF


class Lm75Chip(WordRegisterChip):
    writable = frozenset({CONFIGURATION, HYSTERESIS, OVERTEMPERATURE})

    def __init__(self, resolution: int = 9) -> None:
        super().__init__()
        self.resolution = resolution
        self.temperature = 22.0
        self.registers = {TEMPERATURE: 0, CONFIGURATION: 0, HYSTERESIS: 0x4B00, OVERTEMPERATURE: 0x5000}

    def write(self, data: bytes) -> None:
        if len(data) >= 2 and data[0] == CONFIGURATION:  # one byte: extra bytes are ignored
            self.pointer = CONFIGURATION
            self.registers[CONFIGURATION] = data[1]
            return
        super().write(data)

    def read(self, length: int) -> bytes:
        if self.pointer == CONFIGURATION:
            return bytes([self.registers[CONFIGURATION]]) * length
        return super().read(length)

    def on_read(self, register: int) -> int:
        if register == TEMPERATURE and not self.registers[CONFIGURATION] & 0x01:
            self.registers[TEMPERATURE] = celsius_to_register(self.temperature, self.resolution)
        return self.registers[register]

    def on_write(self, register: int, value: int) -> None:
        if register == TEMPERATURE:
            raise Nack
        self.registers[register] = value
