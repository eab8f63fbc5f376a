"""Command-level SCD4x: idle/periodic modes, data-ready status, measurement buffer, CRCs, busy time.

What the datasheet says and this emulation does: commands other than the periodic-mode ones are NACKed
while measuring periodically; nothing is acknowledged for 500 ms after stop_periodic_measurement;
read_measurement empties the buffer and is NACKed when no data is ready; arguments carry a CRC and a
wrong one is NACKed. ``measurement_interval`` is the datasheet's 5 s (30 s in low power mode); tests may
shorten it to avoid waiting.
"""

from __future__ import annotations

from typing import Any

from agents.drivers.sensirion import crc8
from agents.sim.chips.base import CommandChip, ticks_for
from agents.sim.drift import Drift, animate
from agents.sim.i2c import Nack

START_PERIODIC, START_LOW_POWER, STOP_PERIODIC = 0x21B1, 0x21AC, 0x3F86
GET_DATA_READY, READ_MEASUREMENT = 0xE4B8, 0xEC05
SET_ALTITUDE, GET_ALTITUDE, GET_SERIAL, REINIT = 0x2427, 0x2322, 0x3682, 0x3646
PERIODIC_COMMANDS = {GET_DATA_READY, READ_MEASUREMENT, STOP_PERIODIC}


class Scd4xChip(CommandChip):
    """Set ``co2`` (ppm), ``temperature`` (°C) and ``humidity`` (%RH)."""

    def __init__(self, serial_number: int = 0x1A2B_3C4D_5E6F) -> None:
        super().__init__()
        self.co2 = 600.0
        self.temperature = 22.0
        self.humidity = 45.0
        self.altitude = 0
        self.serial_number = serial_number
        self.measurement_interval = 5.0
        self.low_power_interval = 30.0
        self.is_measuring = False
        self.busy_until = 0.0
        self._started_at = 0.0
        self._interval = self.measurement_interval
        self._consumed = 0  # index of the last measurement read out

    def _available(self) -> int:
        """How many measurements have completed since the start."""
        if not self.is_measuring:
            return 0
        return int((self.clock() - self._started_at) / self._interval)

    def write(self, data: bytes) -> None:
        if self.clock() < self.busy_until:
            raise Nack
        super().write(data)

    def on_command(self, command: int, arguments: bytes) -> None:
        words = self._argument_words(arguments)
        if self.is_measuring and command not in PERIODIC_COMMANDS:
            raise Nack
        if command in (START_PERIODIC, START_LOW_POWER):
            self._start(self.low_power_interval if command == START_LOW_POWER else self.measurement_interval)
        elif command == STOP_PERIODIC:
            self.is_measuring = False
            self.busy_until = self.clock() + 0.5
        elif command == GET_DATA_READY:
            self.respond(0x8006 if self._available() > self._consumed else 0x8000, delay=0.001)
        elif command == READ_MEASUREMENT:
            self._read_measurement()
        elif command == SET_ALTITUDE and len(words) == 1:
            self.altitude = words[0]
        elif command == GET_ALTITUDE:
            self.respond(self.altitude, delay=0.001)
        elif command == GET_SERIAL:
            serial = self.serial_number
            self.respond(serial >> 32 & 0xFFFF, serial >> 16 & 0xFFFF, serial & 0xFFFF, delay=0.001)
        elif command == REINIT:
            self.altitude = 0
            self.busy_until = self.clock() + 0.02
        else:
            raise Nack

    def _argument_words(self, arguments: bytes) -> list[int]:
        if len(arguments) % 3:
            raise Nack
        words = []
        for index in range(0, len(arguments), 3):
            if crc8(arguments[index : index + 2]) != arguments[index + 2]:
                raise Nack
            words.append(arguments[index] << 8 | arguments[index + 1])
        return words

    def _start(self, interval: float) -> None:
        self.is_measuring = True
        self._interval = interval
        self._started_at = self.clock()
        self._consumed = 0

    def _read_measurement(self) -> None:
        available = self._available()
        if available <= self._consumed:
            self.reply = None  # nothing in the buffer: the read that follows is NACKed
            return
        self._consumed = available
        self.respond(
            ticks_for(self.co2, 1.0, 16, signed=False),
            ticks_for(self.temperature + 45.0, 175.0 / 65535.0, 16, signed=False),
            ticks_for(self.humidity, 100.0 / 65535.0, 16, signed=False),
            delay=0.001,
        )


def simulate_scd4x(options: Any, simulation: Any) -> Scd4xChip:
    chip = Scd4xChip()
    simulation.i2c_bus(options.bus).attach(options.address, chip)
    seed = f"scd4x-{options.bus}-{options.address}"
    animate(
        simulation,
        chip,
        co2=Drift(650.0, 250.0, seed=seed + "-co2"),
        temperature=Drift(22.0, 2.0, seed=seed + "-t"),
        humidity=Drift(45.0, 10.0, seed=seed + "-h"),
    )
    return chip
