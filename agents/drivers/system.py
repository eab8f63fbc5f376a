"""The Pi itself: CPU temperature, load, memory, disk, uptime and the firmware's throttling flags."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.drivers.base import Driver, Quantity, ReadError, Readings
from agents.drivers.options import option

THERMAL = "sys/class/thermal/thermal_zone0/temp"
LOADAVG = "proc/loadavg"
MEMINFO = "proc/meminfo"
UPTIME = "proc/uptime"
THROTTLED = "sys/devices/platform/soc/soc:firmware/get_throttled"

# Bits of the firmware's get_throttled word (Raspberry Pi documentation, "vcgencmd get_throttled").
THROTTLE_BITS = {
    "under_voltage": 0,
    "frequency_capped": 1,
    "throttled": 2,
    "soft_temperature_limit": 3,
    "under_voltage_occurred": 16,
    "frequency_capped_occurred": 17,
    "throttled_occurred": 18,
    "soft_temperature_limit_occurred": 19,
}
PROBLEM_FLAGS = (
    "under_voltage",
    "under_voltage_occurred",
    "throttled",
    "frequency_capped",
    "soft_temperature_limit",
)


@dataclass
class Options:
    disk_path: str = option("/", help="filesystem whose usage is reported (path on the Pi)")


def parse_throttled(text: str) -> int:
    """The throttled word from ``throttled=0x50005`` (vcgencmd) or ``50005`` (sysfs, hex)."""
    value = text.strip().rsplit("=", 1)[-1]
    try:
        return int(value, 16)
    except ValueError as error:
        raise ReadError(f"unexpected get_throttled output {text.strip()!r}") from error


def decode_throttled(word: int) -> dict[str, bool]:
    return {name: bool(word >> bit & 1) for name, bit in THROTTLE_BITS.items()}


def parse_meminfo(text: str) -> dict[str, int]:
    """``/proc/meminfo`` fields in kB."""
    fields: dict[str, int] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            fields[key.strip()] = int(parts[0])
    return fields


def on_off(flag: bool) -> str:
    return "ON" if flag else "OFF"


class System(Driver):
    type_name = "system"
    summary = "The Pi's own health: CPU temperature, load, memory, disk, uptime, under-voltage and throttling"
    Options = Options

    def __init__(self, options: Options, hardware: Any) -> None:
        super().__init__(options, hardware)
        self.root = Path(hardware.root)
        self.has_thermal = (self.root / THERMAL).exists()
        self.uses_vcgencmd = not (self.root / THROTTLED).exists() and self._vcgencmd_usable()
        self.has_throttled = self.uses_vcgencmd or (self.root / THROTTLED).exists()

    def _vcgencmd_usable(self) -> bool:
        return self.root == Path("/") and shutil.which("vcgencmd") is not None

    def quantities(self) -> list[Quantity]:
        quantities = []
        if self.has_thermal:
            quantities.append(Quantity("cpu_temperature", "°C", "temperature", precision=1))
        quantities += [
            Quantity("load_1m", None, precision=2),
            Quantity("load_5m", None, precision=2),
            Quantity("load_15m", None, precision=2),
            Quantity("memory_used", "%", precision=1),
            Quantity("memory_available", "MB", "data_size", precision=1),
            Quantity("disk_used", "%", precision=1),
            Quantity("disk_free", "GB", "data_size", precision=2),
            Quantity("uptime", "s", "duration", "total_increasing", precision=0),
        ]
        if self.has_throttled:
            quantities += [
                Quantity(flag, None, "problem", None, component="binary_sensor") for flag in PROBLEM_FLAGS
            ]
        return quantities

    def _read_file(self, relative: str) -> str:
        try:
            return (self.root / relative).read_text()
        except OSError as error:
            raise ReadError(f"cannot read /{relative}: {error.strerror or error}") from error

    def _throttled_text(self) -> str:
        if not self.uses_vcgencmd:
            return self._read_file(THROTTLED)
        try:
            done = subprocess.run(
                ["vcgencmd", "get_throttled"], capture_output=True, text=True, timeout=5, check=True
            )
        except (OSError, subprocess.SubprocessError) as error:
            raise ReadError(f"vcgencmd get_throttled failed: {error}") from error
        return done.stdout

    def read(self) -> Readings:
        readings: Readings = {}
        if self.has_thermal:
            readings["cpu_temperature"] = int(self._read_file(THERMAL).strip()) / 1000
        load = self._read_file(LOADAVG).split()
        readings.update(load_1m=float(load[0]), load_5m=float(load[1]), load_15m=float(load[2]))
        readings.update(self._memory())
        readings.update(self._disk())
        readings["uptime"] = float(self._read_file(UPTIME).split()[0])
        if self.has_throttled:
            flags = decode_throttled(parse_throttled(self._throttled_text()))
            readings.update({flag: on_off(flags[flag]) for flag in PROBLEM_FLAGS})
        return readings

    def _memory(self) -> Readings:
        meminfo = parse_meminfo(self._read_file(MEMINFO))
        try:
            total, available = meminfo["MemTotal"], meminfo["MemAvailable"]
        except KeyError as error:
            raise ReadError(f"/proc/meminfo has no {error.args[0]}") from error
        return {"memory_used": 100 * (total - available) / total, "memory_available": available / 1024}

    def _disk(self) -> Readings:
        path = self.root / self.options.disk_path.lstrip("/")
        try:
            stats = os.statvfs(path)
        except OSError as error:
            raise ReadError(f"cannot stat {self.options.disk_path}: {error.strerror or error}") from error
        used = (stats.f_blocks - stats.f_bfree) * stats.f_frsize
        available = stats.f_bavail * stats.f_frsize
        # Like df: the share of what non-root users can use (reserved blocks excluded).
        percent = 100 * used / (used + available) if used + available else 0.0
        return {"disk_used": percent, "disk_free": available / 1e9}

    @classmethod
    def simulate(cls, options: Options, simulation: Any) -> None:
        from agents.sim.pins import replace_background
        from agents.sim.system import SystemTree

        tree = SystemTree(simulation.root)
        (Path(simulation.root) / options.disk_path.lstrip("/")).mkdir(parents=True, exist_ok=True)
        replace_background(simulation, "system", tree.drift)


DRIVERS = (System,)
