# ruff: noqa: RUF009 - option() returns a dataclasses.field
"""The generic engine, on dataclasses defined here (it must not need any agent code)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from agents.config.errors import ConfigError
from agents.config.schema import INVALID, Schema
from agents.config.yamlfile import parse_yaml
from agents.drivers.options import Duration, GpioPin, I2cAddress, option


@dataclass
class Inner:
    level: int = option(1, help="level", minimum=0, maximum=3)


@dataclass
class Sample:
    name: str = option(help="required name")
    address: I2cAddress = option(0x76, help="address")
    pin: GpioPin | None = option(None, help="pin")
    every: Duration = option(30.0, help="interval")
    mode: str = option("fast", help="mode", choices=("fast", "slow"))
    tags: list[str] = option(default_factory=list, help="tags")
    inner: Inner = option(default_factory=Inner, help="nested")
    ratio: float = option(1.0, help="ratio")
    flag: bool = option(False, help="flag")
    extra: dict[str, int] = field(default_factory=dict)


def build(text: str):
    document = parse_yaml(text, "s.yaml")
    schema = Schema(document)
    return schema.build(Sample, document.data, ()), schema


def test_converts_every_kind_of_field():
    value, schema = build(
        "name: a\naddress: 0x44\npin: BOARD11\nevery: 5min\nmode: slow\ntags: [x, 'y']\n"
        "inner: {level: 2}\nratio: 3\nflag: yes\nextra: {a: 1}\n"
    )
    assert schema.issues == []
    assert value == Sample("a", 0x44, "GPIO17", 300.0, "slow", ["x", "y"], Inner(2), 3.0, True, {"a": 1})


def test_defaults_fill_missing_options():
    value, _ = build("name: a\n")
    assert value == Sample("a")


def test_all_errors_are_reported_at_once_with_positions():
    value, schema = build(
        "adress: 0x44\nevery: soon\nmode: slwo\ninner: {level: 7}\nflag: maybe\nratio: high\n"
    )
    assert value is INVALID
    messages = [str(issue) for issue in schema.issues]
    expected = [
        "s.yaml:1:1: adress: unknown option 'adress' (did you mean 'address'?)",
        "s.yaml:1:1: missing required option 'name'",
        "s.yaml:2:8: every: expected a duration such as 500ms, 30s, 5min or 1h, got soon",
        "s.yaml:3:7: mode: expected one of fast, slow, got slwo (did you mean 'slow'?)",
        "s.yaml:6:8: ratio: expected a number, got high",
        "s.yaml:4:16: inner.level: expected a value at least 0 and at most 3, got 7",
        "s.yaml:5:7: flag: expected true or false, got maybe",
    ]
    assert sorted(messages) == sorted(expected)
    assert ConfigError(schema.issues).issues[0].mark.line == 1


def test_wrong_shapes_are_explained():
    _, schema = build("name: [1]\ntags: x\ninner: 3\n")
    text = "\n".join(str(issue) for issue in schema.issues)
    assert "s.yaml:1:7: name: expected a word, got a list" in text
    assert "s.yaml:2:7: tags: expected a list, got x" in text
    assert "s.yaml:3:8: inner: expected a mapping of options, got 3" in text


def test_numbers_given_for_words_keep_their_spelling():
    value, _ = build("name: 0x10\n")
    assert value.name == "0x10"


def test_errors_sort_by_file_position():
    _, schema = build("flag: 1\nname: a\nmode: x\n")
    error = ConfigError(schema.issues)
    assert [issue.mark.line for issue in error.issues] == [1, 3]
    assert str(error).splitlines()[0].startswith("s.yaml:1:7: flag:")


def test_config_error_is_a_value_error():
    with pytest.raises(ValueError):
        raise ConfigError([])
