"""Shared fixtures (brokers run as real processes on loopback port 0), and the CI rule: no skips."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.brokers import RunningBroker, mosquitto_broker, perch_broker
from tests.support.tools import running_in_ci

SKIPPED: list[str] = []  # node ids of the tests this session skipped


@pytest.fixture
def perch() -> Iterator[RunningBroker]:
    """A fresh ``perch broker`` process with TCP and WebSocket listeners on 127.0.0.1."""
    with perch_broker() as broker:
        yield broker


@pytest.fixture
def mosquitto() -> Iterator[RunningBroker]:
    """A fresh Mosquitto (Debian package) on loopback, as a reference or bridge peer."""
    with mosquitto_broker() as broker:
        yield broker


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        SKIPPED.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI (``CI=true``) a skipped test fails the run: whatever the reason (a missing tool, a
    platform condition), a feature would go untested without anyone seeing it."""
    if running_in_ci() and SKIPPED and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if running_in_ci() and SKIPPED:
        terminalreporter.write_line(f"CI=true: {len(SKIPPED)} skipped test(s) fail this run:", red=True)
        for nodeid in SKIPPED:
            terminalreporter.write_line(f"  {nodeid}", red=True)
