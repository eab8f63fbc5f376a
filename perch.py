"""The `perch` command: one entry point whose subcommands each component registers.

Each component owns a ``cli`` module with ``register(subparsers)``; a subcommand sets ``handler``
(a function taking the parsed arguments and returning an exit code). Handlers import heavy
dependencies lazily so that ``perch --help`` stays fast on a Pi Zero.

Exit codes: 0 success, 1 runtime failure, 2 bad input or configuration.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMAND_MODULES = ("broker.cli", "broker.security_cli", "agents.cli", "image.cli", "provisioning.cli")
# Which module registers each subcommand, so that a service (`perch agents`, `perch broker`) imports
# only its own cli module: whatever a long-running process imports stays in its memory. Anything not
# listed here (`perch --help`, a typo) loads every module, so argparse still lists all the choices.
COMMAND_OWNERS = {
    "broker": "broker.cli",
    "passwd": "broker.security_cli",
    "cert": "broker.security_cli",
    "agents": "agents.cli",
    "check": "agents.cli",
    "demo": "agents.cli",
    "watch": "agents.cli",
    "scan": "agents.cli",
    "image": "image.cli",
    "provision": "provisioning.cli",
}

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


def command_modules(argv: list[str]) -> tuple[str, ...]:
    """The modules to load for ``argv``: the named subcommand's owner only, or all of them."""
    owner = COMMAND_OWNERS.get(argv[0]) if argv else None
    return (owner,) if owner else COMMAND_MODULES


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The `perch` parser; given ``argv``, only with the subcommands it can need."""
    parser = argparse.ArgumentParser(
        prog="perch",
        description="Perch: a Raspberry Pi sensor appliance (MQTT broker + sensor agents).",
    )
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    modules = COMMAND_MODULES if argv is None else command_modules(argv)
    for module_name in modules:
        importlib.import_module(module_name).register(subcommands)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or EXIT_OK)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
