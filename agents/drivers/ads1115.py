"""TI ADS1115 16-bit ADC over I2C: up to four single-ended channels, each a named voltage.

Per channel, one single-shot conversion: write the config register (0x01) with OS=1, the channel's
single-ended MUX (AINx vs GND), the PGA full-scale range and data rate; wait one conversion period;
poll OS until the conversion is done; read the conversion register (0x00), a two's-complement code
with LSB = FSR / 32768. All channels are read in one sequence per read cycle.
"""

# ruff: noqa: RUF009 - option() returns a dataclasses.field, like field() itself

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from agents.drivers.base import Quantity
from agents.drivers.i2c import I2cDriver, addresses
from agents.drivers.options import I2cAddress, option

CONVERSION, CONFIG = 0x00, 0x01
PGA_CODES = {6.144: 0b000, 4.096: 0b001, 2.048: 0b010, 1.024: 0b011, 0.512: 0b100, 0.256: 0b101}
DATA_RATE_CODES = {8: 0b000, 16: 0b001, 32: 0b010, 64: 0b011, 128: 0b100, 250: 0b101, 475: 0b110, 860: 0b111}
OS_START, SINGLE_SHOT_MODE, COMPARATOR_DISABLED = 1 << 15, 1 << 8, 0b11
FULL_SCALE_CODE = 0x7FFF


def config_word(channel: int, full_scale: float, data_rate: int) -> int:
    """Config register value starting a single-shot conversion of AIN``channel`` against GND."""
    mux = 0b100 + channel
    return (
        OS_START
        | mux << 12
        | PGA_CODES[full_scale] << 9
        | SINGLE_SHOT_MODE
        | DATA_RATE_CODES[data_rate] << 5
        | COMPARATOR_DISABLED
    )


def code_to_volts(raw: int, full_scale: float) -> float:
    """Volts from the 16-bit conversion register (two's complement, LSB = FSR / 32768)."""
    if raw & 0x8000:
        raw -= 0x10000
    return raw * full_scale / 32768.0


def normalise_channels(channels: dict[Any, str]) -> dict[int, str]:
    """``{0: soil}`` with keys as numbers 0-3 and names that can be topic segments."""
    result: dict[int, str] = {}
    for key, name in channels.items():
        try:
            channel = int(key)
        except (TypeError, ValueError):
            raise ValueError(f"channels: {key!r} is not a channel number 0-3") from None
        if not 0 <= channel <= 3:
            raise ValueError(f"channels: channel {channel} does not exist (the ADS1115 has AIN0-AIN3)")
        if not name or any(char in str(name) for char in "/+#"):
            raise ValueError(f"channels: {name!r} cannot be a topic segment")
        result[channel] = str(name)
    if not result:
        raise ValueError("channels: name at least one channel, e.g. {0: soil}")
    if len(set(result.values())) != len(result):
        raise ValueError("channels: every channel needs its own name")
    return dict(sorted(result.items()))


@dataclass
class Ads1115Options:
    bus: int = option(1, help="I2C bus number (/dev/i2c-N)", minimum=0)
    address: I2cAddress = option(
        0x48,
        help="I2C address (ADDR to GND 0x48, VDD 0x49, SDA 0x4a, SCL 0x4b)",
        choices=addresses(0x48, 0x49, 0x4A, 0x4B),
    )
    channels: dict[int, str] = option(
        default_factory=lambda: {0: "voltage"},
        help="single-ended inputs to read, channel -> name, e.g. {0: soil, 1: battery}",
    )
    full_scale_range: float = option(
        4.096, help="PGA full-scale range in volts (gain)", choices=tuple(PGA_CODES)
    )
    data_rate: int = option(
        128, help="samples per second (slower is less noisy)", choices=tuple(DATA_RATE_CODES)
    )

    def __post_init__(self) -> None:
        self.channels = normalise_channels(self.channels)


class Ads1115(I2cDriver):
    type_name = "ads1115"
    summary = "TI ADS1115 16-bit 4-channel ADC: named voltages (I2C)"
    chip_name = "ADS1115"
    Options = Ads1115Options

    def quantities(self) -> list[Quantity]:
        return [Quantity(name, "V", "voltage", precision=3) for name in self.options.channels.values()]

    def read_register(self, register: int) -> int:
        high, low = self.bus.read_i2c_block_data(self.address, register, 2)
        return high << 8 | low

    def convert_channel(self, channel: int) -> int:
        options = self.options
        config = config_word(channel, options.full_scale_range, options.data_rate)
        self.bus.write_i2c_block_data(self.address, CONFIG, [config >> 8, config & 0xFF])
        period = 1.0 / options.data_rate
        time.sleep(period * 1.1 + 0.0005)  # the data rate may be 10 % slow (datasheet)
        self.wait_until(
            lambda: bool(self.read_register(CONFIG) & OS_START), period + 0.05, "conversion", 0.001
        )
        return self.read_register(CONVERSION)

    def read_chip(self) -> dict[str, Any]:
        full_scale = self.options.full_scale_range
        readings: dict[str, Any] = {}
        for channel, name in self.options.channels.items():
            raw = self.convert_channel(channel)
            if raw == FULL_SCALE_CODE:
                raise self.fail(
                    f"AIN{channel} ({name}) is at or above the ±{full_scale} V full-scale range: "
                    "choose a larger full_scale_range"
                )
            readings[name] = code_to_volts(raw, full_scale)
        return readings

    @classmethod
    def simulate(cls, options: Any, simulation: Any) -> None:
        from agents.sim.chips.ads1115 import simulate_ads1115

        simulate_ads1115(options, simulation)


DRIVERS = (Ads1115,)
