"""A schema engine driven by dataclasses: validate and convert YAML data, collect every error at once.

Each dataclass field is one option; its annotation says what it holds (``int``, ``str | None``,
``list[str]``, a nested dataclass, or a NewType such as ``Duration`` whose *name* selects a
converter), its default says whether it is required, and its metadata (see
``agents.drivers.options.option``) gives help text, choices and bounds. Nothing here imports
agent code, so the broker can validate its own section with the same engine.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Callable
from typing import Any, Literal, Union

from agents.config.errors import ConfigError, ConfigIssue, YamlPath
from agents.config.units import parse_duration, parse_gpio_pin, parse_i2c_address, parse_percent
from agents.config.yamlfile import Document

CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "Duration": parse_duration,
    "I2cAddress": parse_i2c_address,
    "GpioPin": parse_gpio_pin,
    "Percent": parse_percent,
}


class Invalid:
    """The result of a conversion that failed (its error is already recorded)."""


INVALID = Invalid()


def suggestion(word: str, candidates: typing.Iterable[str]) -> str:
    """`` (did you mean 'address'?)`` or an empty string."""
    close = difflib.get_close_matches(str(word), [str(c) for c in candidates], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def field_hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


class Schema:
    """Validates data from one document, recording issues with their positions."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.issues: list[ConfigIssue] = []

    def error(self, path: YamlPath, message: str, *, key: bool = False) -> Invalid:
        self.issues.append(self.document.issue(path, message, key=key))
        return INVALID

    def raise_if_errors(self) -> None:
        if self.issues:
            raise ConfigError(self.issues)

    def build(self, cls: type, data: Any, path: YamlPath, *, ignore: typing.Collection[str] = ()) -> Any:
        """An instance of dataclass ``cls`` from mapping ``data``; INVALID if anything was wrong.

        ``ignore`` names keys handled by the caller (they are neither options nor unknown).
        """
        if data is None:
            data = {}
        if not isinstance(data, dict):
            return self.error(path, f"expected a mapping of options, got {self.describe_value(path, data)}")
        fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
        hints = field_hints(cls)
        failed = False
        for key in data:
            if key not in fields and key not in ignore:
                hint = suggestion(key, [*fields, *ignore])
                self.error((*path, key), f"unknown option {key!r}{hint}", key=True)
                failed = True
        values: dict[str, Any] = {}
        for name, spec in fields.items():
            if name not in data:
                if spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING:
                    self.error(path, f"missing required option {name!r}")
                    failed = True
                continue
            value = self.convert(hints[name], data[name], (*path, name), spec.metadata)
            failed = failed or value is INVALID
            values[name] = value
        if failed:
            return INVALID
        try:
            return cls(**values)
        except (TypeError, ValueError) as error:
            return self.error(path, str(error))

    def describe_value(self, path: YamlPath, value: Any) -> str:
        if isinstance(value, dict):
            return "a mapping"
        if isinstance(value, list):
            return "a list"
        return self.document.text(path, value)

    def convert(self, annotation: Any, value: Any, path: YamlPath, metadata: Any = None) -> Any:
        """``value`` converted to ``annotation``, then checked against choices and bounds."""
        result = self.convert_type(annotation, value, path)
        if result is INVALID or metadata is None or result is None:
            return result
        return self.check_metadata(result, path, metadata)

    def check_metadata(self, value: Any, path: YamlPath, metadata: Any) -> Any:
        choices = metadata.get("choices")
        if choices and value not in choices:
            listed = ", ".join(str(choice) for choice in choices)
            hint = suggestion(str(value), [str(choice) for choice in choices])
            got = self.describe_value(path, value)
            return self.error(path, f"expected one of {listed}, got {got}{hint}")
        minimum, maximum = metadata.get("minimum"), metadata.get("maximum")
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            low = "" if minimum is None else f"at least {minimum:g}"
            high = "" if maximum is None else f"at most {maximum:g}"
            bounds = " and ".join(part for part in (low, high) if part)
            return self.error(path, f"expected a value {bounds}, got {self.describe_value(path, value)}")
        return value

    def convert_type(self, annotation: Any, value: Any, path: YamlPath) -> Any:
        converter = getattr(annotation, "__supertype__", None) and CONVERTERS.get(annotation.__name__)
        if converter:
            try:
                return converter(value)
            except ValueError as error:
                return self.error(path, f"{error}, got {self.describe_value(path, value)}")
        if hasattr(annotation, "__supertype__"):
            annotation = annotation.__supertype__
        origin = typing.get_origin(annotation)
        if origin in (Union, types.UnionType):
            return self.convert_union(typing.get_args(annotation), value, path)
        if origin is Literal:
            return self.check_metadata(value, path, {"choices": typing.get_args(annotation)})
        if origin in (list, tuple):
            return self.convert_list(annotation, value, path)
        if origin is dict:
            return self.convert_dict(typing.get_args(annotation)[1], value, path)
        if dataclasses.is_dataclass(annotation):
            return self.build(annotation, value, path)
        return self.convert_scalar(annotation, value, path)

    def convert_union(self, options: tuple[Any, ...], value: Any, path: YamlPath) -> Any:
        if value is None and type(None) in options:
            return None
        candidates = [option for option in options if option is not type(None)]
        first_issues: list[ConfigIssue] | None = None
        for candidate in candidates:
            saved, self.issues = self.issues, []
            result = self.convert_type(candidate, value, path)
            attempt, self.issues = self.issues, saved
            if result is not INVALID:
                return result
            first_issues = attempt if first_issues is None else first_issues
        self.issues.extend(first_issues or [])
        return INVALID

    def convert_list(self, annotation: Any, value: Any, path: YamlPath) -> Any:
        if not isinstance(value, list):
            return self.error(path, f"expected a list, got {self.describe_value(path, value)}")
        item_type = (typing.get_args(annotation) or (Any,))[0]
        items = [self.convert_type(item_type, item, (*path, index)) for index, item in enumerate(value)]
        if any(item is INVALID for item in items):
            return INVALID
        return tuple(items) if typing.get_origin(annotation) is tuple else items

    def convert_dict(self, value_type: Any, value: Any, path: YamlPath) -> Any:
        if not isinstance(value, dict):
            return self.error(path, f"expected a mapping, got {self.describe_value(path, value)}")
        result = {str(key): self.convert_type(value_type, item, (*path, key)) for key, item in value.items()}
        return INVALID if any(item is INVALID for item in result.values()) else result

    def convert_scalar(self, annotation: Any, value: Any, path: YamlPath) -> Any:
        if annotation is Any:
            return value
        if annotation is bool:
            if isinstance(value, bool):
                return value
            return self.error(path, f"expected true or false, got {self.describe_value(path, value)}")
        if annotation is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if annotation is float and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if annotation is str:
            if isinstance(value, str):
                return value
            if isinstance(value, bool | int | float):
                return self.document.text(path, value)  # `initial: off` stays "off"
            return self.error(path, f"expected a word, got {self.describe_value(path, value)}")
        if annotation in (int, float):
            kind = "a whole number" if annotation is int else "a number"
            return self.error(path, f"expected {kind}, got {self.describe_value(path, value)}")
        return self.error(path, f"unsupported option type {annotation!r}")


def field_names(cls: type) -> list[str]:
    """The option names of dataclass ``cls``."""
    return [spec.name for spec in dataclasses.fields(cls) if spec.init]
