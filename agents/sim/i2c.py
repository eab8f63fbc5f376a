"""A fake I2C bus with smbus2.SMBus's methods, dispatching to chip emulators by address.

Every SMBus call is mapped to what travels on the wire (a write of bytes and/or a read of N bytes
after a repeated start), so a chip emulator only implements :meth:`I2cChip.write` and
:meth:`I2cChip.read`, exactly like the chip's datasheet describes its I2C protocol. An address with
no chip raises ``OSError(EREMOTEIO)`` as Linux does when nobody acknowledges the address byte.
"""

from __future__ import annotations

import ctypes
import errno
import os
import threading
from dataclasses import dataclass

from smbus2 import i2c_msg

I2C_M_RD = 0x0001  # read flag of struct i2c_msg (uapi/linux/i2c.h)


class Nack(Exception):
    """Raised by a chip emulator that does not acknowledge (busy, unknown command, bad CRC)."""


def nack_error(address: int, bus_number: int | None = None) -> OSError:
    """The error Linux's i2c-dev gives when a device does not acknowledge."""
    where = f" on bus {bus_number}" if bus_number is not None else ""
    return OSError(errno.EREMOTEIO, f"{os.strerror(errno.EREMOTEIO)} (no ACK from 0x{address:02x}{where})")


class I2cChip:
    """Base of every chip emulator: the wire-level protocol plus fault hooks tests and demos use.

    Fault hooks: ``is_absent`` makes the chip ignore its address (a NACK, like an unplugged sensor);
    ``stuck_byte`` makes every byte it sends that value (a stuck data line reads 0xFF or 0x00).
    """

    def __init__(self) -> None:
        self.is_absent = False
        self.stuck_byte: int | None = None
        self.is_attached = False  # kept by FakeI2cBus; a replaced or detached chip stops drifting

    def write(self, data: bytes) -> None:
        """The master wrote ``data`` (everything after the address byte)."""
        raise Nack

    def read(self, length: int) -> bytes:
        """The master reads ``length`` bytes."""
        raise Nack

    def transfer_write(self, data: bytes) -> None:
        if self.is_absent:
            raise Nack
        if data:  # an empty write (SMBus quick command) only tests that the address is acknowledged
            self.write(bytes(data))

    def transfer_read(self, length: int) -> bytes:
        if self.is_absent:
            raise Nack
        data = self.read(length)
        if len(data) != length:
            raise AssertionError(f"{type(self).__name__} returned {len(data)} bytes for a {length}-byte read")
        if self.stuck_byte is not None:
            return bytes([self.stuck_byte]) * length
        return data


@dataclass(frozen=True)
class I2cTransfer:
    """One SMBus call as it appeared on the wire: what the master wrote, then what it read."""

    address: int
    operation: str
    written: bytes
    read: bytes


class FakeI2cBus:
    """An emulated I2C bus with the methods of ``smbus2.SMBus`` that drivers use.

    ``log`` lists every call (one :class:`I2cTransfer` each) so tests can assert the exact
    transaction sequence of a read cycle; clear it with ``bus.log.clear()``.
    """

    def __init__(self, number: int = 1) -> None:
        self.number = number
        self.log: list[I2cTransfer] = []
        self._chips: dict[int, I2cChip] = {}
        self._lock = threading.RLock()

    # --- wiring ---------------------------------------------------------------------------------
    def attach(self, address: int, chip: I2cChip) -> I2cChip:
        """Put ``chip`` on the bus at ``address`` (replacing whatever was there) and return it."""
        if not 0x03 <= address <= 0x77:
            raise ValueError(f"I2C address 0x{address:02x} is outside 0x03-0x77")
        with self._lock:
            self.detach(address)
            self._chips[address] = chip
            chip.is_attached = True
        return chip

    def detach(self, address: int) -> None:
        with self._lock:
            chip = self._chips.pop(address, None)
            if chip is not None:
                chip.is_attached = False

    def chip_at(self, address: int) -> I2cChip | None:
        return self._chips.get(address)

    def addresses(self) -> list[int]:
        return sorted(self._chips)

    # --- the wire -------------------------------------------------------------------------------
    def transfer(self, operation: str, address: int, written: bytes | None, read_length: int) -> bytes:
        """Write ``written`` (if not None), then read ``read_length`` bytes, as one transaction."""
        with self._lock:
            chip = self._chips.get(address)
            received = b""
            try:
                if chip is None:
                    raise Nack
                if written is not None:
                    chip.transfer_write(written)
                if read_length:
                    received = chip.transfer_read(read_length)
            except Nack:
                self.log.append(I2cTransfer(address, operation, written or b"", b""))
                raise nack_error(address, self.number) from None
            self.log.append(I2cTransfer(address, operation, written or b"", received))
            return received

    # --- smbus2.SMBus methods ---------------------------------------------------------------------
    def write_quick(self, i2c_addr: int, force: bool | None = None) -> None:
        self.transfer("write_quick", i2c_addr, b"", 0)

    def read_byte(self, i2c_addr: int, force: bool | None = None) -> int:
        return self.transfer("read_byte", i2c_addr, None, 1)[0]

    def write_byte(self, i2c_addr: int, value: int, force: bool | None = None) -> None:
        self.transfer("write_byte", i2c_addr, bytes([value]), 0)

    def read_byte_data(self, i2c_addr: int, register: int, force: bool | None = None) -> int:
        return self.transfer("read_byte_data", i2c_addr, bytes([register]), 1)[0]

    def write_byte_data(self, i2c_addr: int, register: int, value: int, force: bool | None = None) -> None:
        self.transfer("write_byte_data", i2c_addr, bytes([register, value]), 0)

    def read_word_data(self, i2c_addr: int, register: int, force: bool | None = None) -> int:
        """SMBus words travel low byte first, so big-endian registers come back byte-swapped."""
        data = self.transfer("read_word_data", i2c_addr, bytes([register]), 2)
        return data[0] | data[1] << 8

    def write_word_data(self, i2c_addr: int, register: int, value: int, force: bool | None = None) -> None:
        self.transfer("write_word_data", i2c_addr, bytes([register, value & 0xFF, value >> 8 & 0xFF]), 0)

    def read_i2c_block_data(
        self, i2c_addr: int, register: int, length: int, force: bool | None = None
    ) -> list[int]:
        if not 0 < length <= 32:
            raise ValueError("Desired block length over 32 bytes")  # smbus2's limit (I2C_SMBUS_BLOCK_MAX)
        return list(self.transfer("read_i2c_block_data", i2c_addr, bytes([register]), length))

    def write_i2c_block_data(
        self, i2c_addr: int, register: int, data: list[int], force: bool | None = None
    ) -> None:
        if len(data) > 32:
            raise ValueError("Data length cannot exceed 32 bytes")
        self.transfer("write_i2c_block_data", i2c_addr, bytes([register, *data]), 0)

    def i2c_rdwr(self, *i2c_msgs: i2c_msg) -> None:
        """Combined transfer: each message in turn, read buffers filled in place like the ioctl does."""
        with self._lock:
            for message in i2c_msgs:
                if message.flags & I2C_M_RD:
                    data = self.transfer("i2c_rdwr", message.addr, None, message.len)
                    ctypes.memmove(message.buf, data, len(data))
                else:
                    self.transfer("i2c_rdwr", message.addr, bytes(message), 0)

    def close(self) -> None:
        """Nothing to release; present because drivers close their bus like an SMBus."""
