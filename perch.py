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

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="perch",
        description="Perch: a Raspberry Pi sensor appliance (MQTT broker + sensor agents).",
    )
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subcommands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or EXIT_OK)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
