"""One agent at work: its own thread polls the driver, filters the readings and hands them on.

A thread per agent (rather than one scheduler) keeps a slow or hanging bus read from delaying any
other agent, and the Pi Zero 2 W runs a few dozen idle threads without noticing.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from typing import Any

from agents.config.appliance import AgentConfig
from agents.drivers.base import CommandError, Driver, Quantity, ReadError, Readings, Value
from agents.filters import Pipeline
from agents.filters.values import Round
from agents.runtime.outlet import Outlet

log = logging.getLogger(__name__)

RETRY_FIRST = 1.0  # seconds before the first retry of a failing agent (or its interval, if shorter)
RETRY_CAP = 60.0  # retries slow down to once per max(interval, RETRY_CAP)


def retry_delay(interval: float, failures: int) -> float:
    """Exponential backoff after ``failures`` consecutive failures, capped."""
    first = min(interval, RETRY_FIRST)
    return min(first * 2 ** (failures - 1), max(interval, RETRY_CAP))


def until_next_slot(now: float, period: float) -> float:
    """Seconds from ``now`` to the next multiple of ``period`` on the monotonic clock that is at
    least half a period away (so the gap after the first reading stays between 0.5 and 1.5 periods).

    Agents with the same interval (or multiples of it) read at the same instants, as Telegraf's
    ``round_interval`` does, so the MQTT thread sends their readings together; and the time a read
    takes no longer adds to the interval.
    """
    if period <= 0:
        return 0.0
    wait = period - now % period
    return wait + period if wait < period / 2 else wait


@functools.cache
def _rounder(precision: int) -> Round:
    return Round(precision)  # keeps no state between values: one per precision serves every agent


def rounded(value: Value, precision: int | None) -> Value:
    """The driver's default precision, applied when the chain has no ``round`` of its own."""
    if precision is None or isinstance(value, bool) or not isinstance(value, float):
        return value
    return _rounder(precision).apply(value, 0.0)  # type: ignore[return-value]


class AgentRunner:
    """Runs one configured agent until :meth:`stop`; every failure stays inside it."""

    def __init__(self, config: AgentConfig, hardware: Any, outlet: Outlet, simulate: bool = False) -> None:
        self.config = config
        self.hardware = hardware
        self.outlet = outlet
        self.simulate = simulate
        self.driver: Driver | None = None
        self.failures = 0
        self._simulated = False
        self.pipelines: dict[str, Pipeline] = {}
        self.quantities: dict[str, Quantity] = {}
        self._precisions: dict[str, int | None] = {}  # default rounding per quantity (None: none)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"agent-{config.name}", daemon=True)

    @property
    def name(self) -> str:
        return self.config.name

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        with self._lock:
            driver, self.driver = self.driver, None
        if driver is not None:
            self.outlet.publisher.unsubscribe(self.outlet.topics.command(self.name))
            self._close(driver)

    def _run(self) -> None:
        while not self._stopping.is_set():
            if self.driver is None and not self._open():
                wait = retry_delay(self.config.interval, self.failures)
            else:
                delay = self.poll()
                aligned = delay == self.config.interval
                wait = until_next_slot(time.monotonic(), delay) if aligned else delay
            self._stopping.wait(wait)

    def _open(self) -> bool:
        """Build the driver (attaching its emulation first when simulating); False after a failure."""
        cls = self.config.driver
        driver = None
        try:
            if self.simulate and not self._simulated:
                cls.simulate(self.config.options, self.hardware)
                self._simulated = True  # once: a retry must not attach a second emulated chip
            driver = cls(self.config.options, self.hardware)
            quantities = driver.quantities()
        except Exception as error:  # a driver that cannot start is this agent's problem only
            self._failed(error)
            if driver is not None:
                self._close(driver)  # release its pins so the retry can claim them again
            return False
        self._attach(driver, quantities)
        return True

    def _close(self, driver: Driver) -> None:
        try:
            driver.close()
        except Exception:
            log.exception("agent %s: close failed", self.name)

    def _attach(self, driver: Driver, quantities: list[Quantity]) -> None:
        config = self.config
        self.quantities = {quantity.name: quantity for quantity in quantities}
        self._precisions = {
            quantity.name: None if self._chain_rounds(quantity.name) else quantity.precision
            for quantity in quantities
        }
        self.pipelines = {
            quantity.name: Pipeline(config.filters.get(quantity.name, config.filters.get(None, [])))
            for quantity in quantities
        }
        for unknown in set(config.filters) - set(self.quantities) - {None}:
            log.warning("agent %s: filters for unknown quantity %r (it has %s)", self.name, unknown,
                        ", ".join(self.quantities))  # fmt: skip
        self.outlet.describe(self.name, config.type, config.interval, quantities)
        with self._lock:
            self.driver = driver
        if any(quantity.writable for quantity in quantities):
            self.outlet.listen(self.name, self._on_command)
        driver.watch(self._emit)

    def poll(self) -> float:
        """One read cycle; returns the time to wait before the next."""
        now = time.monotonic()
        try:
            readings = self.driver.read()  # type: ignore[union-attr]
        except Exception as error:  # ReadError and driver bugs alike stay in this agent
            self._emit(getattr(error, "partial_readings", {}))
            self._failed(error)
            return retry_delay(self.config.interval, self.failures)
        self.failures = 0
        self.outlet.status(self.name, "ok")
        self._emit(readings, now)
        self._publish_ticks(now)
        return self.config.interval

    def _failed(self, error: BaseException) -> None:
        self.failures += 1
        message = str(error) if isinstance(error, ReadError) else f"{type(error).__name__}: {error}"
        if self.failures == 1:
            log.warning("agent %s: %s (retrying with backoff)", self.name, message)
        if not isinstance(error, ReadError | OSError):
            log.debug("agent %s failure", self.name, exc_info=error)
        self.outlet.status(self.name, f"error: {message}")

    def _emit(self, readings: Readings, now: float | None = None) -> None:
        """Filter and publish readings (from polls and from the driver's own event threads)."""
        now = time.monotonic() if now is None else now
        passed: dict[str, Value] = {}
        with self._lock:
            for name, value in readings.items():
                pipeline = self.pipelines.get(name)
                result = pipeline.process(value, now) if pipeline else value
                if result is not None:
                    passed[name] = self._with_precision(name, result)
        self.outlet.readings(self.name, passed)

    def _publish_ticks(self, now: float) -> None:
        ticked: dict[str, Value] = {}
        with self._lock:
            for name, pipeline in self.pipelines.items():
                for value in pipeline.tick(now):
                    ticked[name] = self._with_precision(name, value)
        self.outlet.readings(self.name, ticked)

    def _chain_rounds(self, name: str) -> bool:
        chain = self.config.filters.get(name, self.config.filters.get(None, []))
        return any(isinstance(step, Round) for step in chain)

    def _with_precision(self, name: str, value: Value) -> Value:
        return rounded(value, self._precisions.get(name))

    def _on_command(self, topic: str, payload: bytes) -> None:
        """A ``.../set`` message: apply it and echo the new state (unfiltered: it is what was set)."""
        with self._lock:
            driver = self.driver
        if driver is None:
            return
        try:
            state = driver.command(payload.decode("utf-8", "replace").strip())
        except CommandError as error:
            log.warning("agent %s: ignored command %r: %s", self.name, payload[:40], error)
            return
        except Exception:
            log.exception("agent %s: command %r failed", self.name, payload[:40])
            return
        self.outlet.readings(self.name, state)
