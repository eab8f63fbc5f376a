"""The systemd units in systemd/ pass ``systemd-analyze verify`` with no output at all on stderr.

``verify`` exits 0 on unknown keys (it only warns), so any stderr output fails. It also checks that
ExecStart= programs exist, so the units are verified inside a Debian root (chroot) where the installed
layout is present: the first-boot script in place and a stand-in /opt/perch/bin/perch.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from image.steps.perch import STATIC_FILES
from tests.support.debian_root import fresh_debian_root
from tests.support.tools import require_root, require_tool

pytestmark = pytest.mark.root
REPO_ROOT = Path(__file__).resolve().parents[2]
UNITS = [target for source, target, _ in STATIC_FILES if source.endswith(".service")]


def install_units(root: Path) -> None:
    for source, target, mode in STATIC_FILES:
        destination = root / target.lstrip("/")
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_ROOT / "systemd" / source, destination)
        destination.chmod(mode)
    stand_in = root / "opt/perch/bin/perch"
    stand_in.parent.mkdir(parents=True)
    stand_in.write_text("#!/bin/sh\nexit 0\n")
    stand_in.chmod(0o755)


def verify(root: Path, *units: str) -> subprocess.CompletedProcess[str]:
    chroot = require_tool("chroot", "coreutils")
    return subprocess.run([chroot, str(root), "systemd-analyze", "verify", *units], capture_output=True,
                          text=True, timeout=60)  # fmt: skip


def test_units_verify_cleanly_and_the_check_can_fail() -> None:
    require_root()
    assert len(UNITS) == 3
    with fresh_debian_root() as root:
        install_units(root)
        result = verify(root, *UNITS)
        assert result.returncode == 0 and result.stderr == "", result.stderr
        broken = root / "etc/systemd/system/perch-broken.service"
        broken.write_text(
            (REPO_ROOT / "systemd/perch-broker.service")
            .read_text()
            .replace("[Service]", "[Service]\nRestartt=always")
        )
        warned = verify(root, "/etc/systemd/system/perch-broken.service")
        assert "Restartt" in warned.stderr, "verify must report an unknown key, or this test proves nothing"
