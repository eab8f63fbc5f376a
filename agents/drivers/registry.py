"""Find every agent type: built-in driver modules, installed plugins, and ``module:`` references.

Built-ins are the modules of ``agents.drivers`` with a ``DRIVERS`` tuple. Third-party packages add
types through the entry point group ``perch.agents`` (an entry point names a Driver class or a module
with ``DRIVERS``). A config entry may also name local code directly: ``module: mypkg.sensors:Probe``.
A module that fails to import is reported as a problem, never a crash of the whole runtime.
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

    def add(self, cls: type[Driver], origin: str) -> None:
        existing = self.drivers.get(cls.type_name)
        if existing is not None and existing is not cls:
            self.problems.append(f"{origin}: agent type {cls.type_name!r} already provided by {existing!r}")
            return
        self.drivers[cls.type_name] = cls

    def get(self, type_name: str) -> type[Driver] | None:
        return self.drivers.get(type_name)

    def names(self) -> list[str]:
        return sorted(self.drivers)


def add_builtin_drivers(registry: Registry) -> None:
    import agents.drivers as package

    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda info: info.name):
        if info.name in NOT_DRIVER_MODULES or info.name.startswith("_"):
            continue
        module_name = f"{package.__name__}.{info.name}"
        try:
            module = importlib.import_module(module_name)
        except Exception as error:
            registry.problems.append(f"{module_name}: {type(error).__name__}: {error}")
            continue
        for cls in drivers_in(module):
            registry.add(cls, module_name)


def add_plugin_drivers(registry: Registry) -> None:
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            for cls in drivers_in(entry_point.load()):
                registry.add(cls, f"plugin {entry_point.name}")
        except Exception as error:
            registry.problems.append(f"plugin {entry_point.name} ({entry_point.value}): {error}")


@functools.cache
def default_registry() -> Registry:
    """Built-in and plugin agent types (loaded once per process)."""
    registry = Registry()
    add_builtin_drivers(registry)
    add_plugin_drivers(registry)
    return registry
