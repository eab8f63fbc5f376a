"""An MCP3008 (8-channel 10-bit SPI ADC) emulated bit by bit on gpiozero's mock pins.

gpiozero's MockFactory runs SPI in software: it clocks GPIO11 (SCLK), writes GPIO10 (MOSI), reads
GPIO9 (MISO) and drops GPIO8/GPIO7 (CE0/CE1) for each transfer. The emulation follows the MCP3004/3008
datasheet (DS21295, section 5 and figure 6-1), SPI mode 0,0:

- with CS low, the first 1 clocked in on MOSI is the start bit; then SGL/DIFF, D2, D1, D0 pick the input;
- the input is sampled while D0 is clocked in; one clock later the chip drives a null bit (0), then the
  10-bit result MSB first (B9..B0); if clocks continue, it repeats the result LSB first (B1..B9), then 0s;
- code = floor(1024 * Vin / Vref), clamped to 0..1023; in differential mode Vin = IN+ - IN-, and a
  negative difference reads 0.

gpiozero's own MockSPIDevice cannot be used here: it insists on non-PWM clock/select pins while
``SimulatedHardware`` makes PWM pins by default.
"""

from __future__ import annotations

import math
from typing import Any

from gpiozero.pins.mock import MockPWMPin

SPI0_PINS = {"clock": "GPIO11", "mosi": "GPIO10", "miso": "GPIO9"}
SPI0_SELECT = ("GPIO8", "GPIO7")  # CE0, CE1

# Differential pairs by D2 D1 D0: (IN+, IN-), datasheet table 5-2.
DIFFERENTIAL_PAIRS = [(0, 1), (1, 0), (2, 3), (3, 2), (4, 5), (5, 4), (6, 7), (7, 6)]


class SpiClockPin(MockPWMPin):
    """SCLK: tells the chips on the bus about each rising edge."""

    def __init__(self, factory: Any, info: Any) -> None:
        super().__init__(factory, info)
        self.chips: list[Mcp3008Chip] = []

    def _set_state(self, value: float) -> None:
        rising = not self._state and value
        super()._set_state(value)
        if rising:
            for chip in list(self.chips):
                chip.on_clock_rising()


class SpiSelectPin(MockPWMPin):
    """A chip-select line: tells its chip when a transfer starts (falling edge)."""

    def __init__(self, factory: Any, info: Any) -> None:
        super().__init__(factory, info)
        self.chip: Mcp3008Chip | None = None
        self._state = 1.0  # idle high, as the select OutputDevice (active low) will drive it

    def _set_state(self, value: float) -> None:
        falling = self._state and not value
        super()._set_state(value)
        if falling and self.chip is not None:
            self.chip.on_select()


def _pin(factory: Any, name: str, pin_class: type) -> Any:
    pin = factory.pin(name, pin_class=pin_class)
    if not isinstance(pin, pin_class):
        raise RuntimeError(f"{name} was already in use as a plain mock pin; attach the MCP3008 first")
    return pin


def adc_code(volts: float, vref: float) -> int:
    """The 10-bit output code for an input voltage (datasheet equation 4-2)."""
    if not math.isfinite(volts) or volts <= 0:
        return 0
    return min(1023, math.floor(1024 * volts / vref))


class Mcp3008Chip:
    """One MCP3008 on SPI0 chip select ``device``; set ``voltages[channel]`` to feed its inputs."""

    def __init__(self, factory: Any, device: int = 0, vref: float = 3.3) -> None:
        self.vref = vref
        self.voltages = [0.0] * 8
        self.conversions: list[tuple[bool, int]] = []  # (single_ended, D2..D0) per conversion, for tests
        self.clock = _pin(factory, SPI0_PINS["clock"], SpiClockPin)
        self.mosi = factory.pin(SPI0_PINS["mosi"])
        self.miso = factory.pin(SPI0_PINS["miso"])
        self.select = _pin(factory, SPI0_SELECT[device], SpiSelectPin)
        self.select.chip = self
        self.clock.chips.append(self)
        self.on_select()

    def close(self) -> None:
        if self in self.clock.chips:
            self.clock.chips.remove(self)
        self.select.chip = None

    def on_select(self) -> None:
        self._clocks_since_start: int | None = None
        self._config: list[int] = []
        self._code = 0

    def input_voltage(self, single_ended: bool, selector: int) -> float:
        if single_ended:
            return self.voltages[selector]
        positive, negative = DIFFERENTIAL_PAIRS[selector]
        return self.voltages[positive] - self.voltages[negative]

    def on_clock_rising(self) -> None:
        if self.select.state:  # not selected
            return
        bit_in = 1 if self.mosi.state else 0
        if self._clocks_since_start is None:
            if bit_in:
                self._clocks_since_start = 0
            self._output(0)
            return
        self._clocks_since_start += 1
        step = self._clocks_since_start
        if step <= 4:
            self._config.append(bit_in)
            if step == 4:
                single_ended = bool(self._config[0])
                selector = self._config[1] << 2 | self._config[2] << 1 | self._config[3]
                self.conversions.append((single_ended, selector))
                self._code = adc_code(self.input_voltage(single_ended, selector), self.vref)
        self._output(self._bit_out(step))

    def _bit_out(self, step: int) -> int:
        if 7 <= step <= 16:  # B9 .. B0
            return self._code >> (16 - step) & 1
        if 17 <= step <= 25:  # B1 .. B9, LSB first
            return self._code >> (step - 16) & 1
        return 0  # high impedance while sampling, the null bit at step 6, and zeros after

    def _output(self, bit: int) -> None:
        if self.miso.function != "input":
            return
        if bit:
            self.miso.drive_high()
        else:
            self.miso.drive_low()


def attach_mcp3008(factory: Any, device: int = 0, vref: float = 3.3) -> Mcp3008Chip:
    """The emulated chip on CE``device`` of this factory, attached on first use."""
    select = _pin(factory, SPI0_SELECT[device], SpiSelectPin)
    if select.chip is None:
        return Mcp3008Chip(factory, device, vref)
    select.chip.vref = vref
    return select.chip
