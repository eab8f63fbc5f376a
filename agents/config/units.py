"""Conversions of human-friendly config values: durations, I2C addresses, GPIO pins, percents."""

from __future__ import annotations

import re
from typing import Any

DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|sec|min|m|h)?\s*$", re.IGNORECASE)
SECONDS_PER_UNIT = {"ms": 0.001, "s": 1.0, "sec": 1.0, "min": 60.0, "m": 60.0, "h": 3600.0, None: 1.0}
I2C_FIRST, I2C_LAST = 0x03, 0x77
GPIO_LAST = 27
# The 40-pin header: physical (BOARD) pin -> Broadcom GPIO number.
BOARD_TO_GPIO = {
    3: 2, 5: 3, 7: 4, 8: 14, 10: 15, 11: 17, 12: 18, 13: 27, 15: 22, 16: 23, 18: 24, 19: 10, 21: 9,
    22: 25, 23: 11, 24: 8, 26: 7, 27: 0, 28: 1, 29: 5, 31: 6, 32: 12, 33: 13, 35: 19, 36: 16, 37: 26,
    38: 20, 40: 21,
}  # fmt: skip
PIN = re.compile(r"^\s*(GPIO|BCM|BOARD|)\s*(\d+)\s*$", re.IGNORECASE)


def parse_duration(value: Any) -> float:
    """Seconds from ``500ms``, ``30s``, ``5min``, ``1h`` or a plain number of seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 500ms, 30s, 5min or 1h")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = DURATION.match(str(value))
        if not match:
            raise ValueError("expected a duration such as 500ms, 30s, 5min or 1h")
        unit = match.group(2).lower() if match.group(2) else None
        seconds = float(match.group(1)) * SECONDS_PER_UNIT[unit]
    if seconds < 0:
        raise ValueError("expected a duration of zero or more, such as 500ms, 30s, 5min or 1h")
    return seconds


def parse_i2c_address(value: Any) -> int:
    """A 7-bit I2C address in the usable range 0x03-0x77 (written 0x76 or 118)."""
    expected = f"expected an I2C address 0x{I2C_FIRST:02x}-0x{I2C_LAST:02x}"
    if isinstance(value, bool):
        raise ValueError(expected)
    if isinstance(value, str):
        try:
            value = int(value.strip(), 0)
        except ValueError:
            raise ValueError(expected) from None
    if not isinstance(value, int) or not I2C_FIRST <= value <= I2C_LAST:
        raise ValueError(expected)
    return value


def parse_gpio_pin(value: Any) -> str:
    """``GPIO17``, ``BCM17``, ``17`` or ``BOARD11`` (physical pin 11) -> ``GPIO17``."""
    expected = "expected a GPIO pin such as GPIO17, BCM17, 17 or BOARD11"
    if isinstance(value, bool):
        raise ValueError(expected)
    match = PIN.match(str(value))
    if not match:
        raise ValueError(expected)
    scheme, number = match.group(1).upper(), int(match.group(2))
    if scheme == "BOARD":
        if number not in BOARD_TO_GPIO:
            raise ValueError(
                f"BOARD{number} is not a GPIO pin on the 40-pin header (power, ground or ID pin)"
            )
        number = BOARD_TO_GPIO[number]
    if number > GPIO_LAST:
        raise ValueError(f"expected a GPIO pin GPIO0-GPIO{GPIO_LAST}")
    return f"GPIO{number}"


def parse_percent(value: Any) -> float:
    """0-100, written ``40`` or ``40%``."""
    expected = "expected a percentage 0-100 such as 40 or 40%"
    if isinstance(value, bool):
        raise ValueError(expected)
    if isinstance(value, str):
        try:
            value = float(value.strip().removesuffix("%"))
        except ValueError:
            raise ValueError(expected) from None
    if not isinstance(value, int | float) or not 0 <= value <= 100:
        raise ValueError(expected)
    return float(value)


def format_duration(seconds: float) -> str:
    """The shortest friendly spelling: 0.5 -> 500ms, 30 -> 30s, 300 -> 5min, 3600 -> 1h."""
    for unit, size in (("h", 3600.0), ("min", 60.0), ("s", 1.0)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    if seconds < 1:
        return f"{seconds * 1000:g}ms"
    return f"{seconds:g}s"
