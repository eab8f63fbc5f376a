"""What an integration test needs from the machine, and what happens when it is missing.

Outside CI a missing tool skips the test with the exact package to install. In CI (``CI=true``)
it fails: a missing tool there means ``.ci/run`` is broken, never that the feature may go untested.
"""

from __future__ import annotations

import os
import shutil

import pytest


def running_in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(reason: str) -> None:
    """Fail in CI, skip elsewhere."""
    if running_in_ci():
        pytest.fail(f"{reason} (CI must provide it: see .ci/run)")
    pytest.skip(reason)


def require_tool(command: str, debian_package: str) -> str:
    """Return the path of ``command`` or fail/skip saying which Debian package provides it."""
    path = shutil.which(command) or shutil.which(command, path="/usr/sbin:/sbin:/usr/bin:/bin")
    if path is None:
        missing(f"{command} not found: apt-get install -y {debian_package}")
    return path


def require_root() -> None:
    if os.geteuid() != 0:
        missing("needs root (network namespaces, systemd-nspawn, debootstrap)")
