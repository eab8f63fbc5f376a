"""An emulated 1-Wire bus as the Linux ``w1_therm`` driver shows it in sysfs.

Each DS18B20 probe is a folder ``w1_devices/28-xxxxxxxxxxxx`` with a ``w1_slave`` file of two lines, the
nine scratchpad bytes in hex on each::

    50 05 4b 46 7f ff 0c 10 1c : crc=1c YES
    50 05 4b 46 7f ff 0c 10 1c t=85000

The scratchpad follows the DS18B20 datasheet: temperature LSB/MSB in 1/16 °C (12-bit resolution), TH,
TL, configuration 0x7F, reserved 0xFF, 0x0C, 0x10, then the Dallas/Maxim CRC-8 (x^8 + x^5 + x^4 + 1,
reflected polynomial 0x8C) over the first eight bytes. The kernel prints ``YES`` when the CRC over all
nine bytes is zero and the ``t=`` value as ``raw * 1000 / 16`` (integer division toward zero).
"""

from __future__ import annotations

import os
import random
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.sim.system import replace_file

POWER_ON_CELSIUS = 85.0
_BUSES: dict[Path, W1Bus] = {}


def crc8_maxim(data: bytes) -> int:
    """Dallas/Maxim 1-Wire CRC-8 (polynomial 0x31 reflected = 0x8C, init 0)."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8C if crc & 1 else crc >> 1
    return crc


def scratchpad(celsius: float) -> bytes:
    """The nine scratchpad bytes a DS18B20 at 12-bit resolution returns for ``celsius``."""
    raw = max(-55 * 16, min(125 * 16, round(celsius * 16)))
    body = raw.to_bytes(2, "little", signed=True) + bytes([0x4B, 0x46, 0x7F, 0xFF, 0x0C, 0x10])
    return body + bytes([crc8_maxim(body)])


def millicelsius(pad: bytes) -> int:
    """The kernel's ``t=`` value: raw * 1000 / 16 with C integer division (toward zero)."""
    raw = int.from_bytes(pad[0:2], "little", signed=True) * 1000
    return raw // 16 if raw >= 0 else -((-raw) // 16)


def w1_slave_text(pad: bytes) -> str:
    """Both lines of ``w1_slave`` for a scratchpad as the kernel formats them."""
    hex_bytes = " ".join(f"{byte:02x}" for byte in pad)
    verdict = "YES" if crc8_maxim(pad) == 0 else "NO"
    return f"{hex_bytes} : crc={pad[8]:02x} {verdict}\n{hex_bytes} t={millicelsius(pad)}\n"


@dataclass
class Probe:
    """One emulated DS18B20 with its temperature and fault switches."""

    probe_id: str
    celsius: float
    setpoint: float
    corrupt_crc: bool = False
    power_on: bool = False


class W1Bus:
    """Writes ``w1_slave`` files for emulated probes under a fake ``/sys/bus/w1/devices``."""

    def __init__(self, devices_dir: Path, seed: int = 18) -> None:
        self.devices_dir = Path(devices_dir)
        self.devices_dir.mkdir(parents=True, exist_ok=True)
        self.probes: dict[str, Probe] = {}
        self._random = random.Random(seed)

    def add_probe(self, probe_id: str, celsius: float) -> Probe:
        probe = Probe(probe_id, celsius, setpoint=celsius)
        self.probes[probe_id] = probe
        self.write(probe_id)
        return probe

    def set_temperature(self, probe_id: str, celsius: float) -> None:
        self.probes[probe_id].celsius = celsius
        self.write(probe_id)

    def set_fault(self, probe_id: str, *, corrupt_crc: bool = False, power_on: bool = False) -> None:
        """Make the next reads fail the CRC check or show the 85 °C power-on value."""
        probe = self.probes[probe_id]
        probe.corrupt_crc, probe.power_on = corrupt_crc, power_on
        self.write(probe_id)

    def remove_probe(self, probe_id: str) -> None:
        """Unplug a probe: the kernel removes its folder."""
        self.probes.pop(probe_id, None)
        shutil.rmtree(self.devices_dir / probe_id, ignore_errors=True)

    def write(self, probe_id: str) -> None:
        probe = self.probes[probe_id]
        pad = bytearray(scratchpad(POWER_ON_CELSIUS if probe.power_on else probe.celsius))
        if probe.corrupt_crc:
            pad[8] ^= 0x5A
        folder = os.path.join(self.devices_dir, probe_id)
        if not os.path.isdir(folder):
            os.mkdir(folder)
        replace_file(os.path.join(folder, "w1_slave"), w1_slave_text(bytes(pad)))

    def drift(self, now: float) -> None:
        """A bounded random walk around each probe's setpoint (a background callback)."""
        for probe in list(self.probes.values()):
            step = self._random.uniform(-0.08, 0.08) + (probe.setpoint - probe.celsius) * 0.05
            probe.celsius = max(probe.setpoint - 3.0, min(probe.setpoint + 3.0, probe.celsius + step))
            self.write(probe.probe_id)


def bus_for(simulation: Any) -> W1Bus:
    """The one emulated bus of a SimulatedHardware, made (with its drift callback) on first use."""
    devices = Path(simulation.w1_devices).resolve()
    bus = _BUSES.get(devices)
    if bus is None or not devices.is_dir():
        bus = _BUSES[devices] = W1Bus(devices)
        simulation.add_background(bus.drift)
    return bus
