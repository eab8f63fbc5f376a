"""The `perch` dispatcher: each subcommand loads only the module that registers it."""

from __future__ import annotations

import argparse
import importlib

import pytest

import perch


def registered_commands(module_name: str) -> set[str]:
    parser = argparse.ArgumentParser()
    subcommands = parser.add_subparsers(dest="command")
    importlib.import_module(module_name).register(subcommands)
    return set(subcommands.choices)


@pytest.mark.parametrize("module_name", perch.COMMAND_MODULES)
def test_owner_table_matches_what_each_module_registers(module_name):
    listed = {command for command, owner in perch.COMMAND_OWNERS.items() if owner == module_name}
    assert listed == registered_commands(module_name)


def test_every_owner_is_a_command_module():
    assert set(perch.COMMAND_OWNERS.values()) == set(perch.COMMAND_MODULES)


def test_a_known_subcommand_loads_only_its_own_module():
    assert perch.command_modules(["agents", "--simulate"]) == ("agents.cli",)
    assert perch.command_modules(["cert", "--help"]) == ("broker.security_cli",)
    parser = perch.build_parser(["broker", "--port", "0"])
    subcommands = next(action for action in parser._actions if isinstance(action, argparse._SubParsersAction))
    assert set(subcommands.choices) == {"broker"}


@pytest.mark.parametrize("argv", [[], ["--help"], ["no-such-command"], ["-x", "agents"]])
def test_anything_else_loads_every_module(argv):
    assert perch.command_modules(argv) == perch.COMMAND_MODULES


def test_an_unknown_command_is_still_refused_with_every_choice_listed(capsys):
    with pytest.raises(SystemExit) as exit_info:
        perch.main(["no-such-command"])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "invalid choice" in error
    for command in perch.COMMAND_OWNERS:
        assert command in error
