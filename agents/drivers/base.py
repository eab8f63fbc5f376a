"""The contract between agent drivers and the agent runtime.

A driver is one small module in ``agents/drivers/`` that lists its classes in a module-level
``DRIVERS`` tuple. Each class names its agent type, carries an ``Options`` dataclass (the YAML
fields specific to it, see :mod:`agents.drivers.options`), is built with its options and the
hardware it may touch, and returns readings keyed by quantity name. The runtime owns everything
else: scheduling, filters, retries, publishing, Home Assistant discovery.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

Value = float | int | str | bool
Readings = dict[str, Value]


@dataclass(frozen=True)
class Quantity:
    """One value an agent publishes, on ``{prefix}/{node}/{agent}/{name}``."""

    name: str
    unit: str | None = None
    device_class: str | None = None  # Home Assistant device_class, e.g. "temperature"
    state_class: str | None = "measurement"  # Home Assistant state_class; None for events and states
    component: str = "sensor"  # Home Assistant component: sensor, binary_sensor, switch, light, number, event
    writable: bool = False  # True when the agent takes commands on ``.../{agent}/set``
    precision: int | None = None  # default rounding when no ``round`` filter is configured


class ReadError(Exception):
    """A read failed: NACK, CRC mismatch, timeout or an implausible value.

    The runtime reports ``error: <message>`` on the agent's status topic and retries with backoff;
    a ReadError never stops the other agents.
    """


class CommandError(ValueError):
    """A payload on a ``.../set`` topic that the output cannot apply (reported, never raised further)."""


class Hardware(Protocol):
    """The seams through which drivers reach hardware; real on a Pi, emulated in tests and simulation."""

    pin_factory: Any  # a gpiozero pin factory (MockFactory off the Pi); None means gpiozero's default
    w1_devices: Path  # the kernel's /sys/bus/w1/devices (a fake tree in tests)
    root: Path  # filesystem root for /proc and /sys reads of the system driver ("/" on a Pi)
    state_dir: Path  # where drivers keep state that survives restarts (pulse counter totals)

    def i2c_bus(self, number: int) -> Any:
        """An object with smbus2.SMBus's methods (read_i2c_block_data, i2c_rdwr, ...)."""

    def spi_device(self, port: int, device: int) -> Any:
        """Keyword arguments for gpiozero SPI devices (e.g. ``{"pin_factory": ...}``)."""


class Driver(ABC):
    """Base class of every agent type."""

    type_name: ClassVar[str]  # the ``type:`` in YAML, e.g. "bme280"
    summary: ClassVar[str]  # one line for the generated reference docs
    Options: ClassVar[type]  # a dataclass; its fields are the type's YAML options

    def __init__(self, options: Any, hardware: Hardware) -> None:
        self.options = options
        self.hardware = hardware

    @abstractmethod
    def quantities(self) -> list[Quantity]:
        """What this agent publishes (may depend on options, e.g. ADS1115 channels or found probes)."""

    @abstractmethod
    def read(self) -> Readings:
        """Read every quantity in one bus transaction sequence; raise ReadError on failure."""

    def command(self, payload: str) -> Readings:
        """Apply a command from ``.../set`` and return the new state; inputs refuse commands."""
        raise CommandError(f"{self.type_name} agents take no commands")

    def watch(self, emit: Callable[[Readings], None]) -> None:
        """Start reporting events (button presses, motion) through ``emit`` as they happen.

        Called once after construction; ``emit`` is thread-safe. Polling-only drivers ignore it.
        """

    def close(self) -> None:
        """Release pins and buses; outputs return to their safe state."""

    @classmethod
    def simulate(cls, options: Any, simulation: Any) -> None:
        """Attach an emulated chip (or pin behaviour) for these options to the simulated hardware.

        ``simulation`` is an ``agents.sim.hardware.SimulatedHardware``. The emulation works at register
        or pin level, so simulation runs the real driver code.
        """
        raise NotImplementedError(f"{cls.type_name} has no simulation")
