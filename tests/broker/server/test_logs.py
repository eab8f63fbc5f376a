"""The broker process's logging: levels like Mosquitto's log_type, the cached timestamp formatter."""

from __future__ import annotations

import io
import logging

import pytest

from broker.server.logs import LINE_FORMAT, LOG_LEVELS, SecondCachedFormatter, configure_logging


def _record(created: float, message: str = "client %s connected") -> logging.LogRecord:
    record = logging.LogRecord("perch.broker", logging.INFO, __file__, 1, message, ("c1",), None)
    record.created, record.msecs = created, (created - int(created)) * 1000
    return record


@pytest.mark.parametrize("created", [1_700_000_000.0, 1_700_000_000.123, 1_700_000_000.999, 1_700_000_001.5])
def test_cached_formatter_writes_what_the_standard_formatter_writes(created):
    cached, standard = SecondCachedFormatter(), logging.Formatter(LINE_FORMAT)
    cached.format(_record(1_700_000_000.5))  # warm the cache with another record of the same second
    assert cached.format(_record(created)) == standard.format(_record(created))


def test_cached_formatter_moves_on_with_the_clock():
    formatter = SecondCachedFormatter()
    first = formatter.format(_record(1_700_000_000.25))
    later = formatter.format(_record(1_700_000_061.25))
    assert first.split(" ")[1] != later.split(" ")[1]  # the minute changed, not just the milliseconds


@pytest.fixture
def restore_root_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    flags = (logging.logThreads, logging.logProcesses, logging.logMultiprocessing, logging._srcfile)
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.logThreads, logging.logProcesses, logging.logMultiprocessing, logging._srcfile = flags


@pytest.mark.parametrize(("level", "shown"), [("info", ["connected", "busy"]), ("warning", ["busy"])])
def test_the_level_decides_which_lines_are_written(restore_root_logging, level, shown):
    stream = io.StringIO()
    configure_logging(level, stream)
    log = logging.getLogger("perch.broker")
    log.info("client %s connected", "c1")
    log.warning("server %s", "busy")
    lines = stream.getvalue().splitlines()
    assert [line.split(": ", 1)[1].split()[-1] for line in lines] == shown
    assert all(" perch.broker: " in line for line in lines)


def test_levels_are_the_four_mosquitto_like_ones():
    assert list(LOG_LEVELS) == ["debug", "info", "warning", "error"]
