"""Shapes shared by chip emulators: byte-register maps, word-register maps, Sensirion command sets."""

from __future__ import annotations

import time
from collections.abc import Callable

from agents.drivers.sensirion import pack_words
from agents.sim.i2c import I2cChip, Nack


class ByteRegisterChip(I2cChip):
    """A chip with 8-bit registers and an auto-incrementing register pointer (BME280, MCP9808 id...).

    A write sets the pointer from its first byte, then stores the rest at successive registers;
    a read returns bytes from the pointer on. Subclasses react in :meth:`on_write` / :meth:`on_read`.
    """

    def __init__(self) -> None:
        super().__init__()
        self.registers = bytearray(256)
        self.pointer = 0

    def write(self, data: bytes) -> None:
        if not data:
            return
        self.pointer = data[0]
        for value in data[1:]:
            self.on_write(self.pointer, value)
            self.pointer = (self.pointer + 1) & 0xFF

    def read(self, length: int) -> bytes:
        out = bytearray()
        for _ in range(length):
            out.append(self.on_read(self.pointer))
            self.pointer = (self.pointer + 1) & 0xFF
        return bytes(out)

    def on_write(self, register: int, value: int) -> None:
        self.registers[register] = value

    def on_read(self, register: int) -> int:
        return self.registers[register]


class WordRegisterChip(I2cChip):
    """A chip with 16-bit registers behind a pointer byte (ADS1115, INA219, LM75, MCP9808, VEML7700).

    A write is ``[pointer]`` or ``[pointer, byte, byte]``; a read returns the register at the pointer
    (repeating it if the master reads on). ``byteorder`` is "big" for most, "little" for the VEML7700.
    """

    byteorder = "big"
    writable: frozenset[int] = frozenset()

    def __init__(self) -> None:
        super().__init__()
        self.registers: dict[int, int] = {}
        self.pointer = 0

    def write(self, data: bytes) -> None:
        if not data:
            return
        if data[0] not in self.registers:
            raise Nack  # no such register: the chip does not acknowledge the pointer byte
        self.pointer = data[0]
        if len(data) == 1:
            return
        if len(data) != 3 or self.pointer not in self.writable:
            raise Nack
        self.on_write(self.pointer, int.from_bytes(data[1:3], self.byteorder))

    def read(self, length: int) -> bytes:
        word = self.on_read(self.pointer).to_bytes(2, self.byteorder)
        return (word * (length // 2 + 1))[:length]

    def on_write(self, register: int, value: int) -> None:
        self.registers[register] = value

    def on_read(self, register: int) -> int:
        return self.registers[register]


class CommandChip(I2cChip):
    """A chip driven by commands, answering a read with the result of the last command (Sensirion style).

    Subclasses map commands to handlers in :meth:`on_command`; a handler leaves the reply (bytes) in
    ``self.reply`` and may set ``self.ready_at`` for measurements that take time. Reading before the
    reply is ready, or with no reply pending, is NACKed, as the datasheets describe.
    Fault hook: ``corrupt_crc`` flips the CRC byte of every word sent.
    """

    command_bytes = 2

    def __init__(self) -> None:
        super().__init__()
        self.reply: bytes | None = None
        self.ready_at = 0.0
        self.corrupt_crc = False
        self.clock = time.monotonic

    def write(self, data: bytes) -> None:
        if len(data) < self.command_bytes:
            raise Nack
        command = int.from_bytes(data[: self.command_bytes], "big")
        self.on_command(command, data[self.command_bytes :])

    def read(self, length: int) -> bytes:
        if self.reply is None or self.clock() < self.ready_at:
            raise Nack
        reply, self.reply = self.reply, None
        if self.corrupt_crc:
            reply = bytes(b ^ 0x01 if i % 3 == 2 else b for i, b in enumerate(reply))
        return (reply + bytes(length))[:length]

    def respond(self, *words: int, delay: float = 0.0) -> None:
        """Queue ``words`` (with CRCs) as the answer, available after ``delay`` seconds."""
        self.reply = pack_words(*words)
        self.ready_at = self.clock() + delay

    def on_command(self, command: int, arguments: bytes) -> None:
        raise Nack


def ticks_for(value: float, lsb: float, bits: int, signed: bool) -> int:
    """``value / lsb`` rounded to the nearest code and clipped to the register's range."""
    code = round(value / lsb)
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    return min(max(code, low), high)


def bisect_raw(
    forward: Callable[[int], float], target: float, low: int, high: int, *, increasing: bool = True
) -> int:
    """The raw ADC code whose converted value is closest to ``target`` (``forward`` is monotonic)."""
    lo, hi = low, high
    for _ in range(64):
        if lo >= hi:
            break
        middle = (lo + hi) // 2
        below = forward(middle) < target if increasing else forward(middle) > target
        if below:
            lo = middle + 1
        else:
            hi = middle
    candidates = [code for code in (lo - 1, lo) if low <= code <= high]
    return min(candidates, key=lambda code: abs(forward(code) - target))
