"""A fake ``/proc`` and ``/sys`` tree for the system driver, with values that drift like a busy Pi.

Files and formats as a Raspberry Pi kernel writes them: ``/sys/class/thermal/thermal_zone0/temp``
(milli-°C), ``/proc/loadavg``, ``/proc/meminfo`` (kB), ``/proc/uptime`` (seconds, idle seconds) and the
firmware's ``/sys/devices/platform/soc/soc:firmware/get_throttled`` (hex without ``0x``).
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path

THERMAL = "sys/class/thermal/thermal_zone0/temp"
LOADAVG = "proc/loadavg"
MEMINFO = "proc/meminfo"
UPTIME = "proc/uptime"
THROTTLED = "sys/devices/platform/soc/soc:firmware/get_throttled"


@dataclass
class SystemState:
    cpu_celsius: float = 47.2
    load: tuple[float, float, float] = (0.42, 0.35, 0.30)
    memory_total_kb: int = 436_684  # what a Pi Zero 2 W reports for its 512 MB
    memory_available_kb: int = 301_220
    uptime_seconds: float = 3_725.5
    throttled: int = 0


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


class SystemTree:
    """Writes the files under ``root``; change ``state`` and call ``write()``, or let ``drift`` do it."""

    def __init__(self, root: Path, state: SystemState | None = None, seed: int = 3) -> None:
        self.root = Path(root)
        self.state = state or SystemState()
        self._random = random.Random(seed)
        self._last_drift: float | None = None
        self.write()

    def write(self) -> None:
        state = self.state
        _write(self.root / THERMAL, f"{round(state.cpu_celsius * 1000)}\n")
        one, five, fifteen = state.load
        _write(self.root / LOADAVG, f"{one:.2f} {five:.2f} {fifteen:.2f} 1/187 4242\n")
        free_kb = state.memory_available_kb // 3
        _write(
            self.root / MEMINFO,
            f"MemTotal:       {state.memory_total_kb:>8} kB\n"
            f"MemFree:        {free_kb:>8} kB\n"
            f"MemAvailable:   {state.memory_available_kb:>8} kB\n"
            "Buffers:           21344 kB\n",
        )
        _write(self.root / UPTIME, f"{state.uptime_seconds:.2f} {state.uptime_seconds * 3.1:.2f}\n")
        _write(self.root / THROTTLED, f"{state.throttled:x}\n")

    def drift(self, now: float) -> None:
        """Background callback: the CPU warms and cools, load wanders, uptime advances."""
        elapsed = 0.0 if self._last_drift is None else max(0.0, now - self._last_drift)
        self._last_drift = now
        state, pick = self.state, self._random.uniform
        state.cpu_celsius = min(62.0, max(41.0, state.cpu_celsius + pick(-0.3, 0.3)))
        one = min(2.5, max(0.05, state.load[0] + pick(-0.08, 0.08)))
        state.load = (one, state.load[1] * 0.98 + one * 0.02, state.load[2] * 0.995 + one * 0.005)
        change = int(pick(-1500, 1500))
        state.memory_available_kb = min(380_000, max(200_000, state.memory_available_kb + change))
        state.uptime_seconds += elapsed
        self.write()
