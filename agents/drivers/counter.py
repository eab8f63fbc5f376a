"""Pulse counter on a GPIO input: energy/water/gas meter S0 outputs, rain gauges, anemometers.

The running total is kept in ``hardware.state_dir`` and survives restarts. It is written atomically
(temporary file, fsync, rename) on close and, while running, at most once per ``save_interval``
(default 1 min, like ESPHome's ``flash_write_interval``) when it changed, never per pulse or per
reading: a 1 s interval would mean 3,600 fsyncs an hour on the SD card. A power cut loses at most
the pulses of the last interval; a clean stop or restart loses none.
"""

# ruff: noqa: RUF009 - option() returns a dataclasses.field, like field() itself

from __future__ import annotations

import json
import logging
import os
import random
import threading
from dataclasses import dataclass
from pathlib import Path
from time import monotonic
from typing import Any

from gpiozero import DigitalInputDevice

from agents.drivers.base import Driver, Quantity, ReadError, Readings
from agents.drivers.gpio_common import active_level, input_pull
from agents.drivers.options import Duration, GpioPin, option

log = logging.getLogger(__name__)


@dataclass
class Options:
    pin: GpioPin = option(help="GPIO the pulse output is wired to")
    edge: str = option(
        "falling", choices=("rising", "falling", "both"), help="pin edges that count as a pulse"
    )
    pull_up: bool | None = option(True, help="internal pull-up (true), pull-down (false) or none (null)")
    bounce_time: Duration | None = option(None, help="debounce for mechanical contacts (e.g. 10ms)")
    save_interval: Duration = option(
        60.0, help="write the total to disk at most this often (and on stop); 0: at every read"
    )


def state_file(state_dir: Path, pin: str) -> Path:
    """One file per pin: a pin counts one thing, and the pin survives renaming the agent."""
    return Path(state_dir) / f"counter-{pin}.json"


def load_total(path: Path) -> int:
    """The persisted total; a damaged file is kept aside (nothing lost) and counting restarts at 0."""
    try:
        total = json.loads(path.read_text())["total"]
        if isinstance(total, int) and total >= 0:
            return total
        raise ValueError(f"bad total {total!r}")
    except FileNotFoundError:
        return 0
    except (OSError, ValueError, KeyError, TypeError) as error:
        aside = path.with_name(path.name + ".damaged")
        log.warning("pulse counter state %s unreadable (%s); kept as %s, counting from 0", path, error, aside)
        os.replace(path, aside)
        return 0


def save_total(path: Path, total: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "w") as handle:
        json.dump({"total": total}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


class Counter(Driver):
    type_name = "counter"
    summary = "Pulse counter on a GPIO: total pulses (kept across restarts) and pulses per minute"
    Options = Options

    def __init__(self, options: Options, hardware: Any) -> None:
        super().__init__(options, hardware)
        self.path = state_file(hardware.state_dir, options.pin)
        self.total = self.saved_total = load_total(self.path)
        self.saved_at = monotonic()
        self._lock = threading.Lock()
        self._last_read = (monotonic(), self.total)
        self.device = DigitalInputDevice(
            options.pin,
            bounce_time=options.bounce_time or None,
            pin_factory=hardware.pin_factory,
            **input_pull(options.pull_up, None, options.pin),
        )
        pin_high_is_active = active_level(options.pull_up, None)
        counts_rising = options.edge in ("rising", "both")
        counts_falling = options.edge in ("falling", "both")
        if counts_rising if pin_high_is_active else counts_falling:
            self.device.when_activated = self._pulse
        if counts_falling if pin_high_is_active else counts_rising:
            self.device.when_deactivated = self._pulse

    def _pulse(self) -> None:
        with self._lock:
            self.total += 1

    def quantities(self) -> list[Quantity]:
        return [
            Quantity("total", None, None, "total_increasing", precision=0),
            Quantity("rate", "1/min", None, precision=1),
        ]

    def read(self) -> Readings:
        """The total and the mean rate since the previous read."""
        now = monotonic()
        with self._lock:
            total = self.total
        then, total_then = self._last_read
        self._last_read = (now, total)
        rate = (total - total_then) * 60 / (now - then) if now > then else 0.0
        if now - self.saved_at >= self.options.save_interval:
            self._persist(total)
        return {"total": total, "rate": rate}

    def _persist(self, total: int) -> None:
        if total == self.saved_total:
            return
        try:
            save_total(self.path, total)
        except OSError as error:
            raise ReadError(f"cannot save the pulse total to {self.path}: {error}") from error
        self.saved_total = total
        self.saved_at = monotonic()

    def close(self) -> None:
        self.device.close()
        with self._lock:
            total = self.total
        try:
            self._persist(total)
        except ReadError as error:
            log.error("%s", error)

    @classmethod
    def simulate(cls, options: Options, simulation: Any) -> None:
        """A meter's pulse output: one pulse every few seconds, each level held for at least a tick."""
        from agents.sim.pins import DebouncedPin, drive, replace_background

        pin = simulation.pin_factory.pin(options.pin, pin_class=DebouncedPin)
        chance = random.Random(options.pin)
        idle_level = options.pull_up is not False

        def pulse_train(now: float) -> None:
            if pin.state != idle_level:
                drive(pin, idle_level)
            elif chance.random() < 0.35:
                drive(pin, not idle_level)

        replace_background(simulation, ("pin", options.pin), pulse_train)


DRIVERS = (Counter,)
