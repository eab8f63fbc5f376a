"""Physical values that wander plausibly, so a simulated sensor looks alive on a dashboard."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any


class Drift:
    """A seeded, bounded random walk around a setpoint.

    Each step moves by a small random amount and is pulled back towards the setpoint (mean reversion),
    so the value wanders but never leaves ``setpoint ± spread``. ``rate`` is the typical change per
    second; steps are scaled by the time elapsed, so the speed does not depend on how often it is called.
    """

    def __init__(
        self, setpoint: float, spread: float, rate: float | None = None, seed: int | str = 0
    ) -> None:
        if spread < 0:
            raise ValueError("spread must not be negative")
        self.setpoint = setpoint
        self.spread = spread
        self.rate = spread / 60 if rate is None else rate
        self.value = setpoint
        self._random = random.Random(str(seed))
        self._last: float | None = None

    def advance(self, now: float) -> float:
        """Move the value to time ``now`` (seconds, monotonic) and return it."""
        elapsed = 0.0 if self._last is None else min(max(now - self._last, 0.0), 60.0)
        self._last = now
        if elapsed and self.spread:
            pull = (self.setpoint - self.value) * min(elapsed / 120, 1.0)
            step = self._random.gauss(0.0, self.rate * elapsed**0.5)
            low, high = self.setpoint - self.spread, self.setpoint + self.spread
            self.value = min(max(self.value + pull + step, low), high)
        return self.value


def is_live(target: object) -> bool:
    """False for a chip that was detached from (or replaced on) its bus; True for anything else."""
    return getattr(target, "is_attached", True) is not False


def animate(simulation: Any, target: object, **drifts: Drift) -> Callable[[float], None]:
    """Drive attributes of ``target`` (e.g. a chip's ``temperature``) from drifts in the background.

    ``simulation`` is an :class:`agents.sim.hardware.SimulatedHardware`. Returns the background function,
    which unregisters itself once ``target`` has been detached from its bus (e.g. an agent reloaded).
    """
    for name, drift in drifts.items():
        setattr(target, name, drift.value)

    def step(now: float) -> None:
        if not is_live(target):
            simulation.remove_background(step)
            return
        for name, drift in drifts.items():
            setattr(target, name, drift.advance(now))

    simulation.add_background(step)
    return step


def animate_climate(
    simulation: Any, chip: object, seed: str, temperature: float = 21.0, humidity: float = 50.0
) -> Callable[[float], None]:
    """Indoor-looking temperature (±3 °C) and relative humidity (±12 %) on a chip's attributes."""
    return animate(
        simulation,
        chip,
        temperature=Drift(temperature, 3.0, seed=seed + "-temperature"),
        humidity=Drift(humidity, 12.0, seed=seed + "-humidity"),
    )
