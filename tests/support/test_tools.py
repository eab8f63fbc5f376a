"""tests/support/tools.py: a missing tool skips a test on a developer's machine and fails it in CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import tools

REPO = Path(__file__).resolve().parents[2]


def test_a_missing_tool_fails_in_ci_naming_what_to_install(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y no-such-package"):
        tools.require_tool("perch-no-such-command", "no-such-package")


def test_a_missing_tool_skips_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y no-such-package"):
        tools.require_tool("perch-no-such-command", "no-such-package")


def test_a_present_tool_is_found_in_both(monkeypatch):
    for value in ("true", ""):
        monkeypatch.setenv("CI", value)
        assert Path(tools.require_tool("sh", "dash")).name == "sh"


def test_ci_runs_the_suite_with_ci_set():
    """``.ci/run`` exports CI=true before the README's test command, so CI never skips (conftest.py)."""
    script = (REPO / ".ci/run").read_text()
    assert script.index("export CI=true") < script.index("./scripts/test")
