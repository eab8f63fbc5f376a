"""Field types and helpers for driver ``Options`` dataclasses.

The config schema (``agents/config``) reads each field's annotation and metadata to validate YAML,
convert values (``"30s"`` to 30.0, ``0x76`` to 118, ``"GPIO17"`` to ``"GPIO17"``), report errors with
file:line:col, and render the reference docs. Use these NewTypes in annotations so the schema knows
what a field means beyond its Python type.
"""

from __future__ import annotations

from dataclasses import MISSING, field
from typing import Any, NewType

I2cAddress = NewType("I2cAddress", int)  # 0x03-0x77; YAML may write 0x76 or 118
GpioPin = NewType("GpioPin", str)  # "GPIO17", "BCM17", "BOARD11" or 17; normalised to "GPIO17"
Duration = NewType("Duration", float)  # seconds; YAML may write 500ms, 30s, 5min, 1h or a number
Percent = NewType("Percent", float)  # 0-100


def option(
    default: Any = MISSING,
    *,
    help: str,
    choices: tuple[Any, ...] | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    default_factory: Any = MISSING,
) -> Any:
    """A dataclass field with what the schema and the docs need to know about it."""
    metadata = {"help": help, "choices": choices, "minimum": minimum, "maximum": maximum}
    if default_factory is not MISSING:
        return field(default_factory=default_factory, metadata=metadata)
    return field(default=default, metadata=metadata)
