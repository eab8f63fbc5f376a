"""Find every agent type: built-in driver modules, installed plugins, and ``module:`` references.

Built-ins are the modules of ``agents.drivers`` with a ``DRIVERS`` tuple. Third-party packages add
types through the entry point group ``perch.agents`` (an entry point names a Driver class or a module
with ``DRIVERS``). A config entry may also name local code directly: ``module: mypkg.sensors:Probe``.
A module that fails to import is reported as a problem, never a crash of the whole runtime.

The running agents use :func:`on_demand_registry`, which imports a built-in module only when a
config names one of its types (:data:`BUILTIN_TYPES` says which module that is): a Pi with only I2C
sensors then never loads gpiozero and the GPIO drivers (measured: 3 MB less RSS). :func:`default_registry`
imports every built-in (``perch check``, the reference docs).
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import inspect
import pkgutil
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from agents.drivers.base import Driver

ENTRY_POINT_GROUP = "perch.agents"
NOT_DRIVER_MODULES = {"base", "options", "registry"}
# type name -> the module of agents.drivers whose DRIVERS provide it (a test keeps this in step)
BUILTIN_TYPES = {
    "ads1115": "ads1115",
    "aht20": "aht20",
    "bh1750": "bh1750",
    "bme280": "bme280",
    "bmp280": "bme280",
    "button": "contact",
    "buzzer": "buzzer",
    "contact": "contact",
    "counter": "counter",
    "distance": "distance",
    "ds18b20": "ds18b20",
    "ina219": "ina219",
    "led": "led",
    "light": "light",
    "lm75": "lm75",
    "mcp3008": "mcp3008",
    "mcp9808": "mcp9808",
    "motion": "motion",
    "pwm": "pwm",
    "relay": "relay",
    "scd4x": "scd4x",
    "sht3x": "sht3x",
    "sht4x": "sht4x",
    "switch": "relay",
    "system": "system",
    "veml7700": "veml7700",
}


def drivers_in(target: Any) -> list[type[Driver]]:
    """The Driver classes a module lists in ``DRIVERS``, or ``[target]`` for a Driver class."""
    if isinstance(target, ModuleType):
        return list(getattr(target, "DRIVERS", ()))
    if inspect.isclass(target) and issubclass(target, Driver):
        return [target]
    raise TypeError(f"{target!r} is neither a Driver subclass nor a module with DRIVERS")


def load_module_driver(reference: str) -> type[Driver]:
    """The class named by ``pkg.mod:Class``; raises ValueError with a readable reason."""
    module_name, _, class_name = reference.partition(":")
    if not module_name or not class_name:
        raise ValueError(f"expected module: package.module:Class, got {reference!r}")
    try:
        module = importlib.import_module(module_name)
    except Exception as error:
        raise ValueError(f"cannot import {module_name!r}: {error}") from error
    target = getattr(module, class_name, None)
    if not (inspect.isclass(target) and issubclass(target, Driver)):
        raise ValueError(f"{reference!r} is not a Driver subclass")
    return target


@dataclass
class Registry:
    """Agent types by ``type_name``, and the problems met while looking for them."""

    drivers: dict[str, type[Driver]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    pending: dict[str, str] = field(default_factory=dict)  # type name -> built-in module not imported yet

    def add(self, cls: type[Driver], origin: str) -> None:
        if cls.type_name in self.pending:  # a built-in type keeps its precedence over plugins
            self.import_builtin(self.pending[cls.type_name])
        existing = self.drivers.get(cls.type_name)
        if existing is not None and existing is not cls:
            self.problems.append(f"{origin}: agent type {cls.type_name!r} already provided by {existing!r}")
            return
        self.drivers[cls.type_name] = cls

    def get(self, type_name: str) -> type[Driver] | None:
        module = self.pending.get(type_name)
        if module is not None:
            self.import_builtin(module)
        return self.drivers.get(type_name)

    def names(self) -> list[str]:
        return sorted(self.drivers.keys() | self.pending.keys())

    def import_builtin(self, module: str) -> None:
        """Import ``agents.drivers.<module>`` and add its drivers (a failure becomes a problem)."""
        for type_name in [name for name, owner in self.pending.items() if owner == module]:
            del self.pending[type_name]
        module_name = f"agents.drivers.{module}"
        try:
            imported = importlib.import_module(module_name)
        except Exception as error:
            self.problems.append(f"{module_name}: {type(error).__name__}: {error}")
            return
        for cls in drivers_in(imported):
            self.add(cls, module_name)


def add_builtin_drivers(registry: Registry) -> None:
    import agents.drivers as package

    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda info: info.name):
        if info.name in NOT_DRIVER_MODULES or info.name.startswith("_"):
            continue
        registry.import_builtin(info.name)


def add_plugin_drivers(registry: Registry) -> None:
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            for cls in drivers_in(entry_point.load()):
                registry.add(cls, f"plugin {entry_point.name}")
        except Exception as error:
            registry.problems.append(f"plugin {entry_point.name} ({entry_point.value}): {error}")


@functools.cache
def on_demand_registry() -> Registry:
    """Plugins, and built-in types whose module is imported on first :meth:`Registry.get`."""
    registry = Registry(pending=dict(BUILTIN_TYPES))
    add_plugin_drivers(registry)
    return registry


@functools.cache
def default_registry() -> Registry:
    """Built-in and plugin agent types (loaded once per process)."""
    registry = Registry()
    add_builtin_drivers(registry)
    add_plugin_drivers(registry)
    return registry
