"""MCP3008 8-channel 10-bit SPI ADC (gpiozero MCP3008): soil moisture probes, potentiometers, LDRs."""

# ruff: noqa: RUF009 - option() returns a dataclasses.field, like field() itself

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gpiozero import MCP3008, Device
from gpiozero.pins.mock import MockFactory

from agents.drivers.base import Driver, Quantity, ReadError, Readings
from agents.drivers.options import option

CODES = 1024  # 10 bits: Vin = code * Vref / 1024 (datasheet equation 4-2)


@dataclass
class Options:
    channels: dict[int, str] = option(
        default_factory=lambda: {0: "voltage"},
        help="quantity name per channel 0-7, e.g. {0: soil, 1: battery}",
    )
    device: int = option(0, choices=(0, 1), help="chip select on SPI0: 0 = CE0 (GPIO8), 1 = CE1 (GPIO7)")
    differential: bool = option(False, help="read channel pairs (0-1, 2-3, ...) instead of single inputs")
    vref: float = option(3.3, minimum=0.25, maximum=5.5, help="voltage on the VREF pin")
    scale_min: float = option(0.0, help="value reported at 0 V")
    scale_max: float | None = option(None, help="value reported at VREF; default: VREF (report volts)")
    unit: str = option("V", help="unit of the reported value (V unless scale_min/scale_max change it)")


def channel_numbers(channels: dict[Any, str]) -> dict[int, str]:
    """Channel numbers (YAML keys may arrive as strings) to names, in channel order; 0-7 only."""
    numbered: dict[int, str] = {}
    for key, name in channels.items():
        try:
            number = int(key)
        except (TypeError, ValueError):
            number = -1
        if not 0 <= number <= 7:
            raise ValueError(f"MCP3008 channels are 0-7, got {key!r}")
        numbered[number] = name
    return dict(sorted(numbered.items()))


def volts(code: int, vref: float) -> float:
    return code * vref / CODES


def scaled(code: int, options: Options) -> float:
    """Linear map of the input from 0..VREF onto scale_min..scale_max (volts by default)."""
    top = options.vref if options.scale_max is None else options.scale_max
    return options.scale_min + (top - options.scale_min) * code / CODES


def _ensure_default_factory(factory: Any) -> None:
    # gpiozero's SPISoftwareBus calls Device.__init__() without the injected factory, which loads the
    # global default factory and fails off the Pi. Give it an unused MockFactory when we run on mocks.
    if isinstance(factory, MockFactory) and Device.pin_factory is None:
        Device.pin_factory = MockFactory()


class Mcp3008(Driver):
    type_name = "mcp3008"
    summary = "MCP3008 SPI ADC: one quantity per channel, in volts or scaled to your unit"
    Options = Options

    def __init__(self, options: Options, hardware: Any) -> None:
        super().__init__(options, hardware)
        channels = channel_numbers(options.channels)
        _ensure_default_factory(hardware.pin_factory)
        self.inputs: dict[str, MCP3008] = {}
        try:
            for channel, name in channels.items():
                self.inputs[name] = MCP3008(
                    channel=channel,
                    differential=options.differential,
                    max_voltage=options.vref,
                    **hardware.spi_device(0, options.device),
                )
        except Exception:
            self.close()
            raise

    def quantities(self) -> list[Quantity]:
        device_class = "voltage" if self.options.unit == "V" else None
        return [Quantity(name, self.options.unit, device_class, precision=3) for name in self.inputs]

    def read(self) -> Readings:
        readings: Readings = {}
        for name, adc in self.inputs.items():
            code = adc.raw_value
            if not 0 <= code < CODES:
                raise ReadError(f"{name}: ADC code {code} out of range")
            readings[name] = scaled(code, self.options)
        return readings

    def close(self) -> None:
        for adc in self.inputs.values():
            adc.close()

    @classmethod
    def simulate(cls, options: Options, simulation: Any) -> None:
        """Each configured input wanders around a different level below VREF."""
        from agents.sim.drift import Drift
        from agents.sim.mcp3008 import attach_mcp3008
        from agents.sim.pins import replace_background

        chip = attach_mcp3008(simulation.pin_factory, options.device, options.vref)
        drifts = {}
        for channel in channel_numbers(options.channels):
            level = options.vref * (0.25 + 0.08 * channel)
            drifts[channel] = Drift(level, options.vref * 0.15, seed=f"mcp3008-{channel}")
            chip.voltages[channel] = level

        def wander(now: float) -> None:
            for channel, drift in drifts.items():
                chip.voltages[channel] = drift.advance(now)

        replace_background(simulation, ("mcp3008", options.device), wander)


DRIVERS = (Mcp3008,)
