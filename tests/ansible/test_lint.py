"""The playbook and roles pass ansible-lint's production profile (offline) and Ansible's syntax check."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ANSIBLE_FOLDER = Path(__file__).resolve().parents[2] / "ansible"
TOOLS = Path(sys.executable).parent


@pytest.mark.slow
def test_ansible_lint_production_profile_passes() -> None:
    result = subprocess.run(
        [str(TOOLS / "ansible-lint"), "--offline", "--profile", "production", "--nocolor"],
        cwd=ANSIBLE_FOLDER, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Profile 'production' was required, and it passed" in result.stderr + result.stdout


def test_the_playbook_parses() -> None:
    result = subprocess.run(
        [str(TOOLS / "ansible-playbook"), "--syntax-check", "site.yml"],
        cwd=ANSIBLE_FOLDER, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
