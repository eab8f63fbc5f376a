"""Vishay VEML7700 ambient light sensor over I2C.

Its registers are 16-bit little-endian, so SMBus word reads and writes carry them as they are. Set-up
checks the device id (0x07, low byte 0x81), disables power saving (0x03) and writes ALS_CONF_0 (0x00)
with the gain and integration time and ALS_SD = 0, then waits one integration time. Each read takes the
ALS output (0x04). Lux = counts * resolution, where the resolution is the datasheet's 0.0042 lx/count at
gain x2 and 800 ms, scaling inversely with gain and integration time (e.g. 0.5376 lx/count at x1/8, 100 ms).
"""

# ruff: noqa: RUF009 - option() returns a dataclasses.field, like field() itself

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from agents.drivers.base import Quantity
from agents.drivers.i2c import I2cDriver, Seconds, addresses
from agents.drivers.options import Duration, I2cAddress, option

ALS_CONF, POWER_SAVING, ALS, WHITE, DEVICE_ID = 0x00, 0x03, 0x04, 0x05, 0x07
VEML7700_ID = 0x81
GAIN_BITS = {2.0: 0b01, 1.0: 0b00, 0.25: 0b11, 0.125: 0b10}
INTEGRATION_BITS = {0.025: 0b1100, 0.05: 0b1000, 0.1: 0b0000, 0.2: 0b0001, 0.4: 0b0010, 0.8: 0b0011}
RESOLUTION_AT_MAXIMUM = 0.0042  # lx per count at gain x2 and 800 ms (datasheet rev. 1.7 resolution table)
SATURATED = 0xFFFF


def resolution(gain: float, integration_time: float) -> float:
    """Lux per count for a gain (2, 1, 1/4, 1/8) and integration time in seconds (0.025-0.8)."""
    return RESOLUTION_AT_MAXIMUM * (0.8 / integration_time) * (2.0 / gain)


def counts_to_lux(counts: int, gain: float, integration_time: float) -> float:
    return counts * resolution(gain, integration_time)


def config_word(gain: float, integration_time: float) -> int:
    """ALS_CONF_0 with persistence 1, interrupt off and ALS_SD = 0 (powered on)."""
    return GAIN_BITS[gain] << 11 | INTEGRATION_BITS[integration_time] << 6


@dataclass
class Veml7700Options:
    bus: int = option(1, help="I2C bus number (/dev/i2c-N)", minimum=0)
    address: I2cAddress = option(0x10, help="I2C address (fixed at 0x10)", choices=addresses(0x10))
    gain: float = option(
        0.125, help="ALS gain: 2, 1, 0.25 or 0.125 (lower reaches brighter light)", choices=tuple(GAIN_BITS)
    )
    integration_time: Duration = option(
        0.1,
        help="integration time (longer resolves dimmer light)",
        choices=tuple(Seconds(seconds) for seconds in INTEGRATION_BITS),
    )


class Veml7700(I2cDriver):
    type_name = "veml7700"
    summary = "Vishay VEML7700 ambient light sensor, lux (I2C)"
    chip_name = "VEML7700"
    Options = Veml7700Options

    def quantities(self) -> list[Quantity]:
        return [Quantity("illuminance", "lx", "illuminance", precision=1)]

    def set_up(self) -> None:
        device_id = self.bus.read_word_data(self.address, DEVICE_ID)
        if device_id & 0xFF != VEML7700_ID:
            raise self.fail(f"unexpected device id 0x{device_id & 0xFF:02x} (VEML7700 is 0x81)")
        self.bus.write_word_data(self.address, POWER_SAVING, 0x0000)
        options = self.options
        self.bus.write_word_data(self.address, ALS_CONF, config_word(options.gain, options.integration_time))
        time.sleep(options.integration_time * 1.1 + 0.003)  # 2.5 ms wake-up, then one full integration

    def read_chip(self) -> dict[str, Any]:
        counts = self.bus.read_word_data(self.address, ALS)
        options = self.options
        if counts == SATURATED:
            raise self.fail(
                f"light sensor saturated at gain {options.gain:g}, {options.integration_time * 1000:.0f} ms: "
                "lower the gain or the integration time"
            )
        return {"illuminance": counts_to_lux(counts, options.gain, options.integration_time)}

    @classmethod
    def simulate(cls, options: Any, simulation: Any) -> None:
        from agents.sim.chips.veml7700 import Veml7700Chip
        from agents.sim.drift import Drift, animate

        chip = simulation.i2c_bus(options.bus).attach(options.address, Veml7700Chip())
        animate(simulation, chip, lux=Drift(320.0, 250.0, seed=f"veml7700-{options.bus}-{options.address}"))


DRIVERS = (Veml7700,)
