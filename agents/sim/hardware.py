"""The simulated hardware: mock pins, emulated I2C buses, fake sysfs trees, and a background clock."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gpiozero.pins.mock import MockFactory, MockPWMPin

from agents.sim.i2c import FakeI2cBus

log = logging.getLogger(__name__)

BACKGROUND_PERIOD = 0.5  # seconds between calls of each background function


class SimulatedHardware:
    """Satisfies :class:`agents.drivers.base.Hardware` with emulations, for tests and ``--simulate``.

    Drivers' ``simulate()`` classmethods attach emulated chips to :meth:`i2c_bus`, create mock pins on
    :attr:`pin_factory`, write files under :attr:`w1_devices` / :attr:`root`, and register functions
    with :meth:`add_background` that move physical values over time.

    Drivers keep their own state (a pulse counter's total) in ``state_dir``, as on a Pi. The fake
    kernel files go to ``sysfs_dir`` (default ``state_dir/sim``): on a Pi those are the kernel's and
    never touch the SD card, so a measurement may put them on a tmpfs.
    """

    def __init__(self, state_dir: Path, sysfs_dir: Path | None = None) -> None:
        self.state_dir = Path(state_dir)
        self.sysfs_dir = Path(sysfs_dir) if sysfs_dir is not None else self.state_dir / "sim"
        self.w1_devices = self.sysfs_dir / "sys" / "bus" / "w1" / "devices"
        self.root = self.sysfs_dir / "root"
        self.w1_devices.mkdir(parents=True, exist_ok=True)
        self.root.mkdir(parents=True, exist_ok=True)
        self.pin_factory = MockFactory(pin_class=MockPWMPin)
        self._buses: dict[int, FakeI2cBus] = {}
        self._background: list[Callable[[float], None]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def i2c_bus(self, number: int) -> FakeI2cBus:
        """The emulated bus ``number``, created on first use and shared afterwards."""
        with self._lock:
            if number not in self._buses:
                self._buses[number] = FakeI2cBus(number)
            return self._buses[number]

    def spi_device(self, port: int, device: int) -> dict[str, Any]:
        """Keyword arguments for gpiozero SPI devices: software SPI over the mock factory's pins."""
        return {"port": port, "device": device, "pin_factory": self.pin_factory}

    def add_background(self, fn: Callable[[float], None]) -> None:
        """Call ``fn(time.monotonic())`` about every 0.5 s from one daemon thread until :meth:`close`."""
        with self._lock:
            self._background.append(fn)
            if self._thread is None and not self._stopping.is_set():
                self._thread = threading.Thread(target=self._run_background, name="perch-sim", daemon=True)
                self._thread.start()

    def remove_background(self, fn: Callable[[float], None]) -> None:
        with self._lock:
            if fn in self._background:
                self._background.remove(fn)

    @property
    def background(self) -> tuple[Callable[[float], None], ...]:
        """The functions the background thread calls."""
        with self._lock:
            return tuple(self._background)

    def _run_background(self) -> None:
        while not self._stopping.wait(BACKGROUND_PERIOD):
            self.tick(time.monotonic())

    def tick(self, now: float) -> None:
        """Run every background function once (the thread does this; tests may call it directly)."""
        with self._lock:
            functions = list(self._background)
        for fn in functions:
            try:
                fn(now)
            except Exception:
                log.exception("simulation background function %r failed", fn)

    def close(self) -> None:
        """Stop the background thread and release the mock pins."""
        self._stopping.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=5)
        self.pin_factory.close()
        for bus in self._buses.values():
            bus.close()

    def __enter__(self) -> SimulatedHardware:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
