"""The broker process's logging: a level like Mosquitto's ``log_type``, and a cheap record path.

At the default ``info`` level the broker writes one line when a client connects and one when it
leaves, as Mosquitto does by default. A connect storm makes those lines a real share of the work
(Python's logging costs tens of microseconds a record), so :func:`configure_logging` switches off
what the line format never shows, as the logging HOWTO's "Optimization" section describes: the
caller's file and line (a frame walk per record), thread, process and multiprocessing names. The
timestamp text is formatted once per second instead of once per record. Nothing heavy is imported.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

LOG_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
LINE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class SecondCachedFormatter(logging.Formatter):
    """``logging.Formatter`` whose ``%(asctime)s`` text (same form as the default) is built once per
    second; records in the same second only add their milliseconds."""

    def __init__(self, fmt: str = LINE_FORMAT) -> None:
        super().__init__(fmt)
        self._second = -1
        self._second_text = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt is not None:
            return super().formatTime(record, datefmt)
        second = int(record.created)
        if second != self._second:
            self._second_text = time.strftime(self.default_time_format, self.converter(record.created))
            self._second = second
        return f"{self._second_text},{int(record.msecs):03d}"


def configure_logging(level: str = "info", stream: TextIO | None = None) -> None:
    """Log lines at ``level`` and above to ``stream`` (stderr: the journal on the Pi)."""
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging._srcfile = None  # the HOWTO's switch for caller lookup; the format has no %(lineno)d
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(SecondCachedFormatter())
    logging.basicConfig(level=LOG_LEVELS[level], handlers=[handler], force=True)
