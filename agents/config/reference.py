"""Render a dataclass schema as Markdown tables for the generated reference docs."""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Literal, Union

from agents.config.schema import field_hints
from agents.config.units import format_duration

FRIENDLY_NEWTYPES = {
    "Duration": "duration (500ms, 30s, 5min, 1h)",
    "I2cAddress": "I2C address (0x03-0x77)",
    "GpioPin": "GPIO pin (GPIO17, BOARD11)",
    "Percent": "percent (0-100)",
}


def describe_type(annotation: Any) -> str:
    """A reader's name for a field type: ``list of word``, ``I2C address (0x03-0x77)``."""
    if hasattr(annotation, "__supertype__"):
        return FRIENDLY_NEWTYPES.get(annotation.__name__, describe_type(annotation.__supertype__))
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (Union, types.UnionType):
        return " or ".join(describe_type(arg) for arg in args if arg is not type(None))
    if origin is Literal:
        return "one of " + ", ".join(str(arg) for arg in args)
    if origin in (list, tuple):
        return f"list of {describe_type(args[0])}" if args else "list"
    if origin is dict:
        return f"mapping of {describe_type(args[1])}"
    if dataclasses.is_dataclass(annotation):
        return "mapping (see below)"
    names = {bool: "true/false", int: "whole number", float: "number", str: "word"}
    return names.get(annotation, "any")


def describe_default(spec: dataclasses.Field, annotation: Any) -> str:
    if spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING:
        return "**required**"
    if spec.default is dataclasses.MISSING:
        default = spec.default_factory()
        if dataclasses.is_dataclass(default):
            return "see below"
        return f"`{default!r}`" if default not in ({}, []) else "empty"
    if spec.default is None:
        return "none"
    if getattr(annotation, "__name__", "") == "Duration":
        return f"`{format_duration(spec.default)}`"
    if getattr(annotation, "__name__", "") == "I2cAddress":
        return f"`0x{spec.default:02x}`"
    if isinstance(spec.default, bool):
        return f"`{str(spec.default).lower()}`"
    return f"`{spec.default}`"


def option_rows(cls: type) -> list[str]:
    """One Markdown table row per option of dataclass ``cls``."""
    hints = field_hints(cls)
    rows = []
    for spec in dataclasses.fields(cls):
        if not spec.init:
            continue
        annotation = hints[spec.name]
        help_text = spec.metadata.get("help", "")
        extras = []
        if spec.metadata.get("choices"):
            extras.append("one of " + ", ".join(f"`{choice}`" for choice in spec.metadata["choices"]))
        for bound in ("minimum", "maximum"):
            if spec.metadata.get(bound) is not None:
                extras.append(f"{bound} {spec.metadata[bound]:g}")
        detail = "; ".join([help_text, *extras]) if extras else help_text
        kind = describe_type(annotation)
        default = describe_default(spec, annotation)
        rows.append(f"| `{spec.name}` | {kind} | {default} | {detail} |")
    return rows


def options_table(cls: type) -> str:
    header = ["| option | type | default | description |", "| --- | --- | --- | --- |"]
    return "\n".join(header + option_rows(cls))
