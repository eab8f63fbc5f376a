"""A bounded, ordered, on-disk queue of messages waiting for the broker's acknowledgement.

Every reading goes through the spool: it is appended, published at QoS 1 in order, and deleted when
the broker acknowledges it. A broker outage or a restart of the agents therefore loses nothing
within the bound; beyond it the oldest messages are dropped (and counted). SQLite (standard
library) gives ordered, crash-safe storage with small appends, kind to SD cards in WAL mode.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
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


@dataclass(frozen=True)
class SpooledMessage:
    id: int
    topic: str
    payload: bytes
    retain: bool


class Spool:
    """Thread-safe; ``append`` from agent threads, ``pending``/``remove`` from the sender."""

    def __init__(self, path: Path, max_messages: int = 10000, max_bytes: int = 8_000_000) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(path)
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self.dropped = 0
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(SCHEMA)
        count, size = self._db.execute(
            "SELECT count(*), coalesce(sum(length(payload)), 0) FROM spool"
        ).fetchone()
        self._count, self._bytes = count, size

    def __len__(self) -> int:
        with self._lock:
            return self._count

    def append(self, topic: str, payload: bytes, retain: bool = True) -> None:
        """Queue one message; drop the oldest ones if the bound is exceeded."""
        with self._lock:
            self._db.execute(
                "INSERT INTO spool (topic, payload, retain) VALUES (?, ?, ?)", (topic, payload, int(retain))
            )
            self._count += 1
            self._bytes += len(payload)
            while self._count > self.max_messages or (self._bytes > self.max_bytes and self._count > 1):
                self._drop_oldest()

    def _drop_oldest(self) -> None:
        row = self._db.execute("SELECT id, length(payload) FROM spool ORDER BY id LIMIT 1").fetchone()
        if row is None:
            self._count, self._bytes = 0, 0
            return
        self._db.execute("DELETE FROM spool WHERE id = ?", (row[0],))
        self._count -= 1
        self._bytes -= row[1]
        self.dropped += 1
        if self.dropped == 1 or self.dropped % 100 == 0:
            log.warning("spool full: dropped %d oldest readings so far (%s)", self.dropped, self.path)

    def pending(self, after_id: int = 0, limit: int = 100) -> list[SpooledMessage]:
        """Messages with an id above ``after_id``, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, topic, payload, retain FROM spool WHERE id > ? ORDER BY id LIMIT ?",
                (after_id, limit),
            ).fetchall()
        return [SpooledMessage(row[0], row[1], bytes(row[2]), bool(row[3])) for row in rows]

    def remove(self, message_id: int) -> None:
        """Forget a message the broker has acknowledged."""
        with self._lock:
            row = self._db.execute("SELECT length(payload) FROM spool WHERE id = ?", (message_id,)).fetchone()
            if row is None:
                return
            self._db.execute("DELETE FROM spool WHERE id = ?", (message_id,))
            self._count -= 1
            self._bytes -= row[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
