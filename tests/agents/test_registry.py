"""Finding agent types (agents/drivers/registry.py): built-ins, entry-point plugins, module references."""

from __future__ import annotations

import sys

import pytest

from agents.drivers.base import Driver
from agents.drivers.registry import (
    Registry,
    add_builtin_drivers,
    add_plugin_drivers,
    default_registry,
    drivers_in,
    load_module_driver,
)
from tests.agents.fakes import Counter

PLUGIN = """
from dataclasses import dataclass
from agents.drivers.base import Driver, Quantity

@dataclass
class Options:
    pass

class Soil(Driver):
    type_name = "soil_probe"
    summary = "a plugin"
    Options = Options
    def quantities(self):
        return [Quantity("moisture", "%")]
    def read(self):
        return {"moisture": 40.0}

DRIVERS = (Soil,)
"""


def test_builtin_modules_with_drivers_are_found():
    registry = Registry()
    add_builtin_drivers(registry)
    assert registry.problems == []
    for type_name in ("system", "ds18b20"):
        assert issubclass(registry.get(type_name), Driver)
        assert registry.get(type_name).type_name == type_name
    assert registry.names() == sorted(registry.names())


def test_entry_point_plugins_are_found(tmp_path, monkeypatch):
    (tmp_path / "perch_soil.py").write_text(PLUGIN)
    dist = tmp_path / "perch_soil-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: perch-soil\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[perch.agents]\nsoil = perch_soil\nbroken = perch_missing:Thing\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = Registry()
    add_plugin_drivers(registry)
    assert registry.get("soil_probe").__module__ == "perch_soil"
    assert any(problem.startswith("plugin broken (perch_missing:Thing)") for problem in registry.problems)
    sys.modules.pop("perch_soil", None)


def test_module_references():
    assert load_module_driver("tests.agents.fakes:Counter") is Counter
    with pytest.raises(ValueError, match=r"expected module: package\.module:Class"):
        load_module_driver("tests.agents.fakes")
    with pytest.raises(ValueError, match="is not a Driver subclass"):
        load_module_driver("tests.agents.fakes:wait_until")
    with pytest.raises(ValueError, match="cannot import 'no_such_thing'"):
        load_module_driver("no_such_thing:X")


def test_a_type_name_taken_twice_is_a_problem_not_a_crash():
    class Other(Counter):
        pass

    registry = Registry()
    registry.add(Counter, "first")
    registry.add(Other, "second")
    assert registry.get("test_counter") is Counter
    assert "already provided" in registry.problems[0]


def test_drivers_in_rejects_other_objects():
    with pytest.raises(TypeError):
        drivers_in(42)


def test_default_registry_is_built_once():
    assert default_registry() is default_registry()
