"""The real hardware of a Raspberry Pi: smbus2 buses, gpiozero's default pins, the kernel's sysfs."""

from __future__ import annotations

import errno
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

SYSFS_W1_DEVICES = Path("/sys/bus/w1/devices")


class SharedBus:
    """One open I2C bus shared by every driver on it, with each call made atomic.

    smbus2 selects the slave address with one ioctl and transfers with another, so two threads
    using one ``SMBus`` could send a transfer to the other's chip. The lock makes each call
    (address selection plus transfer) indivisible.
    """

    def __init__(self, smbus: Any) -> None:
        self._smbus = smbus
        self._lock = threading.RLock()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._smbus, name)
        if not callable(method):
            return method

        def locked(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return method(*args, **kwargs)

        return locked

    def close(self) -> None:
        with self._lock:
            self._smbus.close()


def open_smbus(number: int) -> Any:
    """Open ``/dev/i2c-<number>`` with smbus2, explaining the usual reasons it fails."""
    from smbus2 import SMBus

    try:
        return SMBus(number)
    except FileNotFoundError:
        raise OSError(
            errno.ENOENT,
            f"I2C bus {number} not found (/dev/i2c-{number}): enable I2C with raspi-config",
        ) from None
    except PermissionError:
        raise OSError(
            errno.EACCES, f"no permission to open /dev/i2c-{number}: add the user to the i2c group"
        ) from None


class RealHardware:
    """Satisfies :class:`agents.drivers.base.Hardware` on a Raspberry Pi."""

    def __init__(self, state_dir: Path, *, open_bus: Callable[[int], Any] = open_smbus) -> None:
        self.state_dir = Path(state_dir)
        self.pin_factory: Any = None  # gpiozero picks lgpio/RPi.GPIO itself
        self.w1_devices = SYSFS_W1_DEVICES
        self.root = Path("/")
        self._open_bus = open_bus
        self._buses: dict[int, SharedBus] = {}
        self._lock = threading.Lock()

    def i2c_bus(self, number: int) -> SharedBus:
        """The bus ``number``, opened on first use and shared by every driver; raises OSError if absent."""
        with self._lock:
            if number not in self._buses:
                self._buses[number] = SharedBus(self._open_bus(number))
            return self._buses[number]

    def spi_device(self, port: int, device: int) -> dict[str, Any]:
        """Keyword arguments for gpiozero SPI devices on the Pi's hardware SPI."""
        return {"port": port, "device": device}

    def add_background(self, fn: Callable[[float], None]) -> None:
        """Real physics needs no help; accepted so code can treat both hardwares alike."""

    def close(self) -> None:
        with self._lock:
            buses, self._buses = list(self._buses.values()), {}
        for bus in buses:
            bus.close()
