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


FILES = (THERMAL, LOADAVG, MEMINFO, UPTIME, THROTTLED)


def replace_file(path: str, text: str) -> None:
    """Write ``text`` to ``path`` atomically (readers never see a half-written file).

    Plain ``os`` calls on prepared path strings: the background thread rewrites five files twice a
    second, and pathlib's per-call overhead was most of the simulation's CPU time.
    """
    temporary = path + ".tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(descriptor, text.encode())
    finally:
        os.close(descriptor)
    os.replace(temporary, path)


class SystemTree:
    """Writes the files under ``root``; change ``state`` and call ``write()``, or let ``drift`` do it."""

    def __init__(self, root: Path, state: SystemState | None = None, seed: int = 3) -> None:
        self.root = Path(root)
        self.state = state or SystemState()
        self._random = random.Random(seed)
        self._last_drift: float | None = None
        self._paths = {name: str(self.root / name) for name in FILES}
        for path in self._paths.values():
            os.makedirs(os.path.dirname(path), exist_ok=True)
        self.write()

    def write(self) -> None:
        state, paths = self.state, self._paths
        replace_file(paths[THERMAL], f"{round(state.cpu_celsius * 1000)}\n")
        one, five, fifteen = state.load
        replace_file(paths[LOADAVG], f"{one:.2f} {five:.2f} {fifteen:.2f} 1/187 4242\n")
        free_kb = state.memory_available_kb // 3
        replace_file(
            paths[MEMINFO],
            f"MemTotal:       {state.memory_total_kb:>8} kB\n"
            f"MemFree:        {free_kb:>8} kB\n"
            f"MemAvailable:   {state.memory_available_kb:>8} kB\n"
            "Buffers:           21344 kB\n",
        )
        replace_file(paths[UPTIME], f"{state.uptime_seconds:.2f} {state.uptime_seconds * 3.1:.2f}\n")
        replace_file(paths[THROTTLED], f"{state.throttled:x}\n")

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
