"""Register-level MCP9808: config, alert limits, ambient temperature with alert flags, ids, resolution.

The ambient register is refreshed from ``temperature`` at the configured resolution unless the chip is
in shutdown. Its flag bits compare against T_CRIT, T_UPPER and T_LOWER (all 0 °C after power-on, so a
room-temperature reading carries flags: a driver must mask them).
"""

from __future__ import annotations

from agents.sim.chips.base import WordRegisterChip

CONFIG, T_UPPER, T_LOWER, T_CRIT, AMBIENT, MANUFACTURER_ID, DEVICE_ID, RESOLUTION = range(1, 9)
STEPS = (2, 4, 8, 16)  # resolution code -> steps per °C


def celsius_to_ambient(celsius: float, resolution_code: int = 3) -> int:
    """13-bit two's-complement 1/16 °C value (sign in bit 12), at the resolution's step size."""
    steps = STEPS[resolution_code]
    sixteenths = round(celsius * steps) * (16 // steps)
    return max(min(sixteenths, 0x0FFF), -0x1000) & 0x1FFF


def limit_to_celsius(register: int) -> float:
    value = register & 0x1FFC
    return (value - 0x2000 if value & 0x1000 else value) / 16.0


class Mcp9808Chip(WordRegisterChip):
    writable = frozenset({CONFIG, T_UPPER, T_LOWER, T_CRIT})

    def __init__(self) -> None:
        super().__init__()
        self.temperature = 21.0
        self.registers = {
            CONFIG: 0x0000,
            T_UPPER: 0,
            T_LOWER: 0,
            T_CRIT: 0,
            AMBIENT: 0,
            MANUFACTURER_ID: 0x0054,
            DEVICE_ID: 0x0400,
            RESOLUTION: 0x03,
        }

    def write(self, data: bytes) -> None:
        if len(data) >= 2 and data[0] == RESOLUTION:  # one byte: extra bytes are ignored
            self.pointer = RESOLUTION
            self.registers[RESOLUTION] = data[1] & 0b11
            return
        super().write(data)

    def read(self, length: int) -> bytes:
        if self.pointer == RESOLUTION:
            return bytes([self.registers[RESOLUTION]]) * length
        return super().read(length)

    def on_write(self, register: int, value: int) -> None:
        self.registers[register] = value if register == CONFIG else value & 0x1FFC

    def on_read(self, register: int) -> int:
        if register == AMBIENT and not self.registers[CONFIG] & 0x0100:
            self.registers[AMBIENT] = self.ambient_register()
        return self.registers[register]

    def ambient_register(self) -> int:
        value = celsius_to_ambient(self.temperature, self.registers[RESOLUTION])
        flags = 0
        if self.temperature >= limit_to_celsius(self.registers[T_CRIT]):
            flags |= 0x8000
        if self.temperature > limit_to_celsius(self.registers[T_UPPER]):
            flags |= 0x4000
        if self.temperature < limit_to_celsius(self.registers[T_LOWER]):
            flags |= 0x2000
        return flags | value
