"""Test-only drivers (real Driver subclasses with a controllable value source) and an MQTT recorder.

They exercise the runtime, not hardware: each instance registers itself in ``INSTANCES`` by the
``label`` option so tests can make it fail or inspect it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from agents.drivers.base import Driver, Quantity, ReadError, Readings
from agents.drivers.options import option

INSTANCES: dict[str, Driver] = {}


@dataclass
class CounterOptions:
    label: str = option("counter", help="key in INSTANCES")
    start: int = option(0, help="first value")
    step: float = option(1, help="added per read")


class Counter(Driver):
    """Reads start, start+step, ...; ``failing`` set to a message makes reads raise ReadError."""

    type_name = "test_counter"
    summary = "test counter"
    Options = CounterOptions

    def __init__(self, options: CounterOptions, hardware: object) -> None:
        super().__init__(options, hardware)
        self.next_value = options.start
        self.failing: str | None = None
        self.closed = False
        INSTANCES[options.label] = self

    def quantities(self) -> list[Quantity]:
        return [Quantity("count", "items", None, "total_increasing")]

    def read(self) -> Readings:
        if self.failing:
            raise ReadError(self.failing)
        value, self.next_value = self.next_value, self.next_value + self.options.step
        return {"count": value}

    def close(self) -> None:
        self.closed = True


@dataclass
class SwitchOptions:
    label: str = option("switch", help="key in INSTANCES")


class Switch(Driver):
    """An output: ``ON``/``OFF`` on ``.../set``, echoed as ``state``."""

    type_name = "test_switch"
    summary = "test switch"
    Options = SwitchOptions

    def __init__(self, options: SwitchOptions, hardware: object) -> None:
        super().__init__(options, hardware)
        self.is_on = False
        INSTANCES[options.label] = self

    def quantities(self) -> list[Quantity]:
        return [Quantity("state", None, None, None, component="switch", writable=True)]

    def read(self) -> Readings:
        return {"state": self.is_on}

    def command(self, payload: str) -> Readings:
        from agents.drivers.base import CommandError

        if payload not in ("ON", "OFF"):
            raise CommandError(f"expected ON or OFF, got {payload!r}")
        self.is_on = payload == "ON"
        return {"state": self.is_on}


@dataclass
class FragileOptions:
    label: str = option("fragile", help="key in FRAGILE")


FRAGILE: dict[str, dict] = {}  # label -> {"broken": bool, "simulated": int, "closed": int}


class Fragile(Driver):
    """Cannot start while ``FRAGILE[label]["broken"]`` (its quantities() fails after the pins are taken)."""

    type_name = "test_fragile"
    summary = "test driver that fails to start"
    Options = FragileOptions

    def __init__(self, options: FragileOptions, hardware: object) -> None:
        super().__init__(options, hardware)
        self.state = FRAGILE.setdefault(options.label, {"broken": True, "simulated": 0, "closed": 0})

    def quantities(self) -> list[Quantity]:
        if self.state["broken"]:
            raise OSError(121, "Remote I/O error")
        return [Quantity("value")]

    def read(self) -> Readings:
        return {"value": 1.5}

    def close(self) -> None:
        self.state["closed"] += 1

    @classmethod
    def simulate(cls, options: FragileOptions, simulation: object) -> None:
        FRAGILE.setdefault(options.label, {"broken": True, "simulated": 0, "closed": 0})["simulated"] += 1


DRIVERS = (Counter, Switch, Fragile)


def wait_until(condition: Callable[[], object], timeout: float = 10.0, what: str = "condition") -> object:
    """Poll ``condition`` every 20 ms until it is truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Recorder:
    """A paho subscriber that records (topic, payload, retain) in arrival order."""

    def __init__(
        self, port: int, topic: str = "#", host: str = "127.0.0.1", credentials: tuple[str, str] | None = None
    ) -> None:
        self.messages: list[tuple[str, str, bool]] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="", clean_session=True)
        self.client.on_connect = lambda c, u, f, reason, p: c.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda *args: self._subscribed.set()
        self.client.on_message = self._on_message
        if credentials:
            self.client.username_pw_set(*credentials)
        self.client.connect(host, port, 30)
        self.client.loop_start()
        if not self._subscribed.wait(10):
            raise AssertionError("subscription not acknowledged")

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((message.topic, message.payload.decode(), bool(message.retain)))

    def payloads(self, topic: str) -> list[str]:
        with self._lock:
            return [payload for t, payload, _ in self.messages if t == topic]

    def latest(self, topic: str) -> str | None:
        found = self.payloads(topic)
        return found[-1] if found else None

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
