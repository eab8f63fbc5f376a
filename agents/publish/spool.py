"""A bounded, ordered queue of messages awaiting the broker's acknowledgement, on disk when it matters.

Every reading goes through the spool: it is appended, published at QoS 1 in order, and removed when
the broker acknowledges it. A broker outage or a restart of the agents therefore loses nothing
within the bound; beyond it the oldest messages are dropped (and counted).

SD cards wear out, so normal operation (connected, acks arriving within milliseconds) must not
write. Fresh messages stay in memory; only those still unacknowledged after ``grace`` seconds, or
at :meth:`Spool.persist` (the connection dropped) or :meth:`Spool.close` (shutdown), are written to
SQLite, all of them in one transaction. Acknowledged messages that were on disk are deleted in
batches. The disk therefore always holds the oldest messages and memory the newest, which keeps
the order. The price: a power cut loses at most the last ``grace`` seconds of readings.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS spool (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    retain INTEGER NOT NULL
)
"""
GRACE_SECONDS = 5.0  # an unacknowledged message older than this is written to disk
DELETE_BATCH = 256  # acknowledged on-disk messages deleted per transaction


@dataclass(frozen=True)
class SpooledMessage:
    id: int
    topic: str
    payload: bytes
    retain: bool


class Spool:
    """Thread-safe; ``append`` from agent threads, ``pending``/``remove`` from the sender.

    ``commits`` counts the transactions written to the file since it was opened.
    """

    def __init__(
        self,
        path: Path,
        max_messages: int = 10000,
        max_bytes: int = 8_000_000,
        grace: float = GRACE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(path)
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self.grace = grace
        self.dropped = 0
        self.commits = 0
        self._clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(SCHEMA)
        count, size, last_id = self._db.execute(
            "SELECT count(*), coalesce(sum(length(payload)), 0), coalesce(max(id), 0) FROM spool"
        ).fetchone()
        self._count, self._bytes = count, size
        self._on_disk = count  # rows in the file not yet acknowledged or dropped
        self._next_id = last_id + 1
        self._memory: dict[int, tuple[SpooledMessage, float]] = {}  # id order; value: (message, appended)
        self._doomed: set[int] = set()  # rows in the file acknowledged or dropped, not yet deleted
        self._doomed_since = 0.0
        self._closed = False

    def __len__(self) -> int:
        with self._lock:
            return self._count

    def append(self, topic: str, payload: bytes, retain: bool = True) -> None:
        """Queue one message; drop the oldest ones if the bound is exceeded."""
        with self._lock:
            now = self._clock()
            message = SpooledMessage(self._next_id, topic, bytes(payload), bool(retain))
            self._next_id += 1
            self._memory[message.id] = (message, now)
            self._count += 1
            self._bytes += len(message.payload)
            while self._count > self.max_messages or (self._bytes > self.max_bytes and self._count > 1):
                self._drop_oldest()
            if self._write_due(now):
                self._write()

    def _write_due(self, now: float) -> bool:
        if self._memory and now - next(iter(self._memory.values()))[1] >= self.grace:
            return True
        return bool(self._doomed) and now - self._doomed_since >= self.grace

    def _drop_oldest(self) -> None:
        if self._on_disk:
            message_id, size = self._oldest_on_disk()
            self._doom(message_id)
        elif self._memory:
            message, _ = self._memory.pop(next(iter(self._memory)))
            size = len(message.payload)
        else:
            self._count, self._bytes = 0, 0
            return
        self._count -= 1
        self._bytes -= size
        self.dropped += 1
        if self.dropped == 1 or self.dropped % 100 == 0:
            log.warning("spool full: dropped %d oldest readings so far (%s)", self.dropped, self.path)

    def _oldest_on_disk(self) -> tuple[int, int]:
        rows = self._db.execute(
            "SELECT id, length(payload) FROM spool ORDER BY id LIMIT ?", (len(self._doomed) + 1,)
        ).fetchall()
        return next((row[0], row[1]) for row in rows if row[0] not in self._doomed)

    def _doom(self, message_id: int) -> None:
        """Mark a row in the file as gone; the DELETE waits for a batch."""
        if not self._doomed:
            self._doomed_since = self._clock()
        self._doomed.add(message_id)
        self._on_disk -= 1
        if len(self._doomed) >= DELETE_BATCH:
            self._write()

    def pending(self, after_id: int = 0, limit: int = 100) -> list[SpooledMessage]:
        """Messages with an id above ``after_id``, oldest first."""
        with self._lock:
            found: list[SpooledMessage] = []
            if self._on_disk:
                rows = self._db.execute(
                    "SELECT id, topic, payload, retain FROM spool WHERE id > ? ORDER BY id LIMIT ?",
                    (after_id, limit + len(self._doomed)),
                ).fetchall()
                found = [
                    SpooledMessage(row[0], row[1], bytes(row[2]), bool(row[3]))
                    for row in rows
                    if row[0] not in self._doomed
                ][:limit]
            for message, _ in self._memory.values():
                if len(found) >= limit:
                    break
                if message.id > after_id:
                    found.append(message)
        return found

    def remove(self, message_id: int) -> None:
        """Forget a message the broker has acknowledged."""
        with self._lock:
            if message_id in self._memory:
                message, _ = self._memory.pop(message_id)
                size = len(message.payload)
            elif self._on_disk and message_id not in self._doomed:
                row = self._db.execute(
                    "SELECT length(payload) FROM spool WHERE id = ?", (message_id,)
                ).fetchone()
                if row is None:
                    return
                size = row[0]
                self._doom(message_id)
            else:
                return
            self._count -= 1
            self._bytes -= size

    def persist(self) -> None:
        """Write every unacknowledged message to disk now (the connection was lost)."""
        with self._lock:
            self._write()

    def _write(self) -> None:
        """Move memory to the file and delete the doomed rows, in one transaction."""
        if self._closed or not (self._memory or self._doomed):
            return
        rows = [(m.id, m.topic, m.payload, int(m.retain)) for m, _ in self._memory.values()]
        doomed = [(message_id,) for message_id in self._doomed]
        self._db.execute("BEGIN")
        try:
            self._db.executemany("INSERT INTO spool (id, topic, payload, retain) VALUES (?, ?, ?, ?)", rows)
            self._db.executemany("DELETE FROM spool WHERE id = ?", doomed)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self.commits += 1
        self._on_disk += len(rows)
        self._memory.clear()
        self._doomed.clear()

    def close(self) -> None:
        """Write what is still unacknowledged, then close the file."""
        with self._lock:
            self._write()
            self._closed = True
            self._db.close()
