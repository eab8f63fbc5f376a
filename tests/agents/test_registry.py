"""Finding agent types (agents/drivers/registry.py): built-ins, entry-point plugins, module references."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from agents.drivers.base import Driver
from agents.drivers.registry import (
    BUILTIN_TYPES,
    Registry,
    add_builtin_drivers,
    add_plugin_drivers,
    default_registry,
    drivers_in,
    load_module_driver,
    on_demand_registry,
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


def test_the_builtin_index_names_every_type_and_its_module():
    discovered = {name: cls.__module__.rpartition(".")[2] for name, cls in default_registry().drivers.items()}
    assert discovered == BUILTIN_TYPES


def test_on_demand_types_are_known_before_and_found_on_first_use():
    registry = Registry(pending=dict(BUILTIN_TYPES))
    assert registry.names() == sorted(BUILTIN_TYPES)
    assert registry.drivers == {}
    driver = registry.get("bmp280")
    assert driver is default_registry().get("bmp280")
    assert {"bme280", "bmp280"} <= registry.drivers.keys()  # the module's other type came along
    assert "bme280" not in registry.pending
    assert registry.get("no_such_type") is None
    assert registry.names() == sorted(BUILTIN_TYPES)


def test_a_builtin_module_that_fails_on_demand_is_a_problem_not_a_crash():
    registry = Registry(pending={"ghost": "no_such_driver_module"})
    assert registry.get("ghost") is None
    assert registry.problems[0].startswith("agents.drivers.no_such_driver_module: ModuleNotFoundError")


def test_a_plugin_cannot_take_a_builtin_type_that_was_not_imported_yet():
    class Impostor(Counter):
        type_name = "system"

    registry = Registry(pending=dict(BUILTIN_TYPES))
    registry.add(Impostor, "plugin impostor")
    assert registry.get("system") is default_registry().get("system")
    assert "already provided" in registry.problems[0]


def test_on_demand_registry_is_built_once():
    assert on_demand_registry() is on_demand_registry()


def test_loading_a_config_imports_only_the_drivers_it_names(tmp_path):
    config = tmp_path / "perch.yaml"
    config.write_text("node: n\nagents:\n  - {name: climate, type: bme280, address: 0x76}\n")
    probe = (
        "import json, sys; from agents.config.loader import load_config; "
        f"load_config({str(config)!r}); "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('agents.drivers.', 'gpiozero')))))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=Path(__file__).resolve().parents[2],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert "agents.drivers.bme280" in loaded
    assert "agents.drivers.counter" not in loaded and "gpiozero" not in loaded
