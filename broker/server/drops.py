"""Say in the log when a client's queue overflows: once per client per minute, not once per message.

Every drop is already counted (``$SYS/broker/publish/messages/dropped`` for the broker, the session's
``dropped_messages`` per client); this only turns the per-client counts into a bounded number of
log lines, so a slow subscriber with a huge backlog cannot flood the SD card with warnings.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("perch.broker")

LOG_INTERVAL = 60.0  # seconds between two warnings about the same client
CHECK_INTERVAL = 5.0  # how often the sessions are scanned


class DropReporter:
    def __init__(self, interval: float = LOG_INTERVAL) -> None:
        self.interval = interval
        self._next_check = 0.0
        self._reported: dict[str, tuple[float, int]] = {}  # client id -> (when, dropped count then)

    def check(self, sessions: dict[str, Any], now: float) -> int:
        """Log clients that dropped messages since they were last reported; returns lines logged."""
        if now < self._next_check:
            return 0
        self._next_check = now + CHECK_INTERVAL
        logged = 0
        for client_id, session in sessions.items():
            dropped = session.dropped_messages
            when, reported = self._reported.get(client_id, (None, 0))
            if dropped <= reported or (when is not None and now - when < self.interval):
                continue
            log.warning(
                "client %s: %d messages dropped because its queue was full "
                "(max_queued_messages / max_queued_bytes; %d in total)",
                client_id,
                dropped - reported,
                dropped,
            )
            self._reported[client_id] = (now, dropped)
            logged += 1
        for client_id in [name for name in self._reported if name not in sessions]:
            del self._reported[client_id]
        return logged
