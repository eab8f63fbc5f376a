"""What every I2C driver shares: its bus and address options, the bus seam, and error wording."""

from __future__ import annotations

import errno
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from smbus2 import i2c_msg

from agents.drivers.base import Driver, ReadError
from agents.drivers.sensirion import unpack_words


class HexAddress(int):
    """An I2C address that prints as ``0x76``, so choice lists in errors and docs read like datasheets."""

    def __str__(self) -> str:
        return f"0x{int(self):02x}"

    __repr__ = __str__


class Seconds(float):
    """A duration choice that prints as ``25ms`` / ``2s`` in errors and docs."""

    def __str__(self) -> str:
        return f"{float(self) * 1000:g}ms" if self < 1 else f"{float(self):g}s"

    __repr__ = __str__


def addresses(*values: int) -> tuple[int, ...]:
    """Choices for an ``I2cAddress`` option."""
    return tuple(HexAddress(value) for value in values)


def describe_os_error(error: OSError, address: int, bus: int) -> str:
    """A sentence saying what an I/O error on the bus most likely means."""
    if error.errno in (errno.EREMOTEIO, errno.ENXIO, errno.EIO):
        return f"no answer from 0x{address:02x} on I2C bus {bus} (NACK): check wiring, power and address"
    if error.errno in (errno.ENOENT, errno.EACCES) and error.strerror:
        return error.strerror  # opening /dev/i2c-N failed: the message already says how to fix it
    if error.errno == errno.ETIMEDOUT:
        return f"I2C bus {bus} timed out talking to 0x{address:02x}: a device may be holding the bus"
    return f"I2C bus {bus}, device 0x{address:02x}: {error.strerror or error}"


class I2cDriver(Driver):
    """Base of the I2C chip drivers: opens the bus lazily and turns OSErrors into ReadErrors.

    Subclasses implement :meth:`read_chip` (one transaction sequence for all quantities) and may
    implement :meth:`set_up` (run before the first read and again after any failed read, so a chip
    that lost power is configured again).
    """

    chip_name: ClassVar[str]

    def __init__(self, options: Any, hardware: Any) -> None:
        super().__init__(options, hardware)
        self.address: int = options.address
        self.bus_number: int = options.bus
        self._bus: Any = None
        self._is_set_up = False

    @property
    def bus(self) -> Any:
        if self._bus is None:
            self._bus = self.hardware.i2c_bus(self.bus_number)
        return self._bus

    def set_up(self) -> None:
        """Configure the chip once (read calibration, start measuring...)."""

    def read_chip(self) -> dict[str, Any]:
        raise NotImplementedError

    def read(self) -> dict[str, Any]:
        try:
            with self.talking():
                if not self._is_set_up:
                    self.set_up()
                    self._is_set_up = True
                return self.read_chip()
        except ReadError:
            self._is_set_up = False
            raise

    @contextmanager
    def talking(self) -> Iterator[None]:
        """Turn bus errors inside the block into :class:`ReadError` naming the chip."""
        try:
            yield
        except OSError as error:
            raise ReadError(
                f"{self.chip_name}: {describe_os_error(error, self.address, self.bus_number)}"
            ) from error

    def fail(self, message: str) -> ReadError:
        return ReadError(f"{self.chip_name} at 0x{self.address:02x}: {message}")

    # --- small bus helpers -------------------------------------------------------------------------
    def write_bytes(self, *data: int) -> None:
        """One plain write message (a command, or a register pointer followed by data)."""
        self.bus.i2c_rdwr(i2c_msg.write(self.address, list(data)))

    def read_bytes(self, length: int) -> bytes:
        """One plain read message of ``length`` bytes."""
        message = i2c_msg.read(self.address, length)
        self.bus.i2c_rdwr(message)
        return bytes(message)

    def unpack_words(self, data: bytes, what: str) -> list[int]:
        """Sensirion-framed words with their CRCs checked; a mismatch is a ReadError naming the chip."""
        try:
            return unpack_words(data, what)
        except ReadError as error:
            raise self.fail(str(error)) from None

    def wait_until(
        self, is_ready: Callable[[], bool], timeout: float, what: str, poll: float = 0.005
    ) -> None:
        """Poll ``is_ready`` until it says so; a chip that never gets ready is a ReadError."""
        deadline = time.monotonic() + timeout
        for _ in range(10_000):
            if is_ready():
                return
            if time.monotonic() >= deadline:
                break
            time.sleep(poll)
        raise self.fail(f"{what} did not finish within {timeout * 1000:.0f} ms")

    def close(self) -> None:
        """The bus is shared with other agents, so it stays open; nothing else to release."""


def check_range(driver: I2cDriver, name: str, value: float, low: float, high: float, unit: str) -> float:
    """Refuse a value outside what the chip can measure: it is a fault, not a reading."""
    if not low <= value <= high:
        raise driver.fail(
            f"implausible {name} {value:.6g} {unit} (the chip measures {low:g} to {high:g} {unit})"
        )
    return value
