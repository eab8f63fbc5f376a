"""DS18B20 (and other w1_therm) temperature probes through the kernel's 1-Wire sysfs files."""

# ruff: noqa: RUF009 - option() returns a dataclasses.field, like field() itself

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.drivers.base import Driver, Quantity, ReadError, Readings
from agents.drivers.options import option

# w1_therm family codes: DS18S20, DS1822, DS18B20, DS1825/MAX31850, DS28EA00.
THERMOMETER_FAMILIES = ("10", "22", "28", "3b", "42")
POWER_ON_MILLICELSIUS = 85000
PLAUSIBLE_MILLICELSIUS = range(-55000, 125001)


@dataclass
class Options:
    id: str | None = option(None, help="probe id such as 28-0316a2792d7f; default: every probe found")
    names: dict[str, str] = option(
        default_factory=dict, help="quantity name per probe id, e.g. {28-0316a2792d7f: water}"
    )


def parse_w1_slave(text: str) -> float:
    """Degrees Celsius from a ``w1_slave`` file; raises ReadError for CRC failures and bogus values."""
    lines = text.strip().splitlines()
    if len(lines) != 2 or " crc=" not in lines[0] or " t=" not in lines[1]:
        raise ReadError(f"unexpected w1_slave contents: {text.strip()!r}")
    if not lines[0].rstrip().endswith("YES"):
        raise ReadError("CRC check failed (crc=.. NO)")
    if all(part == "00" for part in lines[0].split(":")[0].split()):
        raise ReadError("scratchpad is all zeros (probe not answering)")
    try:
        millicelsius = int(lines[1].rsplit("t=", 1)[1])
    except ValueError as error:
        raise ReadError(f"bad temperature field in {lines[1]!r}") from error
    if millicelsius == POWER_ON_MILLICELSIUS:
        raise ReadError("85.0 °C is the power-on value, not a reading (probe reset or underpowered)")
    if millicelsius not in PLAUSIBLE_MILLICELSIUS:
        raise ReadError(f"{millicelsius / 1000} °C is outside the DS18B20 range -55..125 °C")
    return millicelsius / 1000


def find_probes(devices: Path) -> list[str]:
    """Ids of every thermometer the kernel lists, sorted so quantity order is stable."""
    if not devices.is_dir():
        return []
    found = (entry.name for entry in devices.iterdir() if entry.name[:2].lower() in THERMOMETER_FAMILIES)
    return sorted(name for name in found if "-" in name)


class Ds18b20(Driver):
    type_name = "ds18b20"
    summary = "DS18B20 1-Wire temperature probes (every probe found, or one by id)"
    Options = Options

    def __init__(self, options: Options, hardware: Any) -> None:
        super().__init__(options, hardware)
        self.devices = Path(hardware.w1_devices)
        self.probe_ids = [options.id] if options.id else find_probes(self.devices)

    def quantity_name(self, probe_id: str) -> str:
        default = "temperature" if self.options.id else probe_id
        return self.options.names.get(probe_id, default)

    def quantities(self) -> list[Quantity]:
        return [
            Quantity(self.quantity_name(probe_id), "°C", "temperature", precision=2)
            for probe_id in self.probe_ids
        ]

    def read_probe(self, probe_id: str) -> float:
        """One probe's temperature; a vanished probe or a bad file is a ReadError naming the probe."""
        try:
            text = (self.devices / probe_id / "w1_slave").read_text()
        except FileNotFoundError as error:
            raise ReadError(f"probe {probe_id} vanished (unplugged?)") from error
        except OSError as error:
            raise ReadError(f"probe {probe_id}: {error.strerror or error}") from error
        try:
            return parse_w1_slave(text)
        except ReadError as error:
            raise ReadError(f"probe {probe_id}: {error}") from error

    def read(self) -> Readings:
        """Every probe; if some fail, ReadError lists them and carries the others in ``partial_readings``."""
        if not self.probe_ids:
            self.probe_ids = find_probes(self.devices)
        if not self.probe_ids:
            raise ReadError(f"no 1-Wire temperature probes under {self.devices} (is dtoverlay=w1-gpio set?)")
        readings: Readings = {}
        failures: list[str] = []
        for probe_id in self.probe_ids:
            try:
                readings[self.quantity_name(probe_id)] = self.read_probe(probe_id)
            except ReadError as error:
                failures.append(str(error))
        if failures:
            error = ReadError("; ".join(failures))
            error.partial_readings = readings  # type: ignore[attr-defined]
            raise error
        return readings

    @classmethod
    def simulate(cls, options: Options, simulation: Any) -> None:
        from agents.sim.w1 import bus_for

        bus = bus_for(simulation)
        wanted = [options.id] if options.id else list(options.names) or ["28-0316a2792d7f", "28-0416b3a8e1ff"]
        for index, probe_id in enumerate(wanted):
            if probe_id not in bus.probes:
                bus.add_probe(probe_id, 19.5 + 2.25 * index)


DRIVERS = (Ds18b20,)
