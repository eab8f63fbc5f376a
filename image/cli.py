"""`perch` subcommands of the image component."""

from __future__ import annotations

import argparse


def register(subcommands: argparse._SubParsersAction) -> None:
    """Add this component's subcommands to the `perch` command."""
