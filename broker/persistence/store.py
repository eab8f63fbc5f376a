"""The journalled store: records appended in memory, written and synced once per commit.

The server calls the record methods as the engine changes durable state, then ``commit()`` once
per event-loop iteration, and only then sends the acknowledgements (PUBACK, PUBREC, SUBACK) that
the committed records back: an ack is never ahead of the disk. Everything appended since the last
commit goes out as one frame with one ``write`` and one ``fdatasync``.

When the journal grows past ``compact_factor`` times the last snapshot (and at least
``min_compact_bytes``), the live state is written to a new snapshot (temp file, fsync, rename) and
a fresh journal replaces the old one; a generation number in both headers makes this crash-safe.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from broker.persistence.codec import encode_record, frame
from broker.persistence.records import (
    Op,
    RecoveredState,
    StoredMessage,
    StoredSubscription,
    StoredWill,
)
from broker.persistence.recovery import FORMAT_VERSION, JOURNAL_NAME, SNAPSHOT_NAME, recover
from broker.persistence.state import LiveState, message_fields, will_fields

SNAPSHOT_FRAME_BYTES = 64 * 1024


class StoreError(OSError):
    """The store cannot be used (folder locked by another broker, disk full, I/O error)."""


class UnknownSession(KeyError):
    """A record named a client id with no session in the store."""


@dataclass
class StoreStats:
    """The store's own accounting of what it asked the disk to do."""

    bytes_written: int = 0  # journal frames plus snapshots
    journal_bytes: int = 0  # current journal size
    snapshot_bytes: int = 0  # size of the last snapshot
    commits: int = 0
    syncs: int = 0
    records: int = 0
    compactions: int = 0


class Store:
    """Use ``Store.open(folder)``; one store per folder (a lock file keeps out a second broker)."""

    def __init__(
        self,
        folder: Path,
        state: LiveState,
        generation: int,
        lock_fd: int,
        *,
        durable: bool,
        compact_factor: float,
        min_compact_bytes: int,
        sync_interval: float = 0.0,
    ) -> None:
        self.folder = folder
        self.state = state
        self.stats = StoreStats()
        self.durable = durable
        self.compact_factor = compact_factor
        self.min_compact_bytes = min_compact_bytes
        self.sync_interval = sync_interval
        self._last_sync = float("-inf")
        self._generation = generation
        self._lock_fd = lock_fd
        self._journal_fd = -1
        self._pending = bytearray()
        self._message_ids: dict[int, int] = {}  # id(StoredMessage) -> message id, while stored

    @classmethod
    def open(
        cls,
        folder: str | os.PathLike,
        *,
        durable: bool = True,
        compact_factor: float = 4.0,
        min_compact_bytes: int = 1024 * 1024,
        sync_interval: float = 0.0,
    ) -> tuple[Store, RecoveredState]:
        """Recover the folder's state, start a fresh journal generation, return (store, state).

        Damage is reported in ``RecoveredState.problems`` (and logged); it never raises for it.
        Raises StoreError only when the folder cannot be used at all.
        """
        path = Path(folder)
        try:
            path.mkdir(parents=True, exist_ok=True)
            lock_fd = os.open(path / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            raise StoreError(f"{path}: cannot open the store: {error}") from error
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            os.close(lock_fd)
            raise StoreError(f"{path}: in use by another broker") from error
        try:
            recovery = recover(path)
            store = cls(
                path,
                recovery.state,
                recovery.generation,
                lock_fd,
                durable=durable,
                compact_factor=compact_factor,
                min_compact_bytes=min_compact_bytes,
                sync_interval=sync_interval,
            )
            store.compact()
        except OSError as error:  # a full or read-only disk: say so, hold no lock
            os.close(lock_fd)
            raise StoreError(f"{path}: cannot start a new journal: {error}") from error
        recovered = recovery.state.recovered()
        recovered.problems = recovery.problems
        return store, recovered

    # ---- sessions -------------------------------------------------------------------------

    def _number(self, client_id: str) -> int:
        number = self.state.session_numbers.get(client_id)
        if number is None:
            raise UnknownSession(f"no stored session for client id {client_id!r}")
        return number

    def _record(self, opcode: Op, *fields: object) -> None:
        record = [opcode, *fields]
        encode_record(self._pending, opcode, *fields)
        self.state.apply(record)
        self.stats.records += 1

    def session_created(self, client_id: str, protocol_version: int = 4, expiry_interval: int = 0) -> None:
        """A new session (replacing any old one of this client id, as clean start does)."""
        number = self.state.next_session_number
        self._record(Op.SESSION_CREATED, number, client_id, protocol_version, expiry_interval)

    def session_resumed(self, client_id: str, protocol_version: int, expiry_interval: int) -> None:
        """A client reconnected to its stored session (possibly with a new expiry interval)."""
        self._record(Op.SESSION_RESUMED, self._number(client_id), protocol_version, expiry_interval)

    def session_detached(self, client_id: str, at: float) -> None:
        """The connection ended at wall-clock time ``at``; the session waits for its expiry."""
        self._record(Op.SESSION_DETACHED, self._number(client_id), at)

    def session_removed(self, client_id: str) -> None:
        if client_id in self.state.session_numbers:
            self._record(Op.SESSION_REMOVED, self._number(client_id))

    def subscription_added(self, client_id: str, s: StoredSubscription) -> None:
        self._record(
            Op.SUBSCRIPTION_ADDED,
            self._number(client_id),
            s.topic_filter,
            s.qos,
            s.no_local,
            s.retain_as_published,
            s.retain_handling,
            s.identifier,
            s.share_group,
        )

    def subscription_removed(self, client_id: str, key: str) -> None:
        self._record(Op.SUBSCRIPTION_REMOVED, self._number(client_id), key)

    def will_set(self, client_id: str, will: StoredWill) -> None:
        self._record(Op.WILL_SET, self._number(client_id), *will_fields(will))

    def will_cleared(self, client_id: str) -> None:
        self._record(Op.WILL_CLEARED, self._number(client_id))

    # ---- messages -------------------------------------------------------------------------

    def _message_id(self, message: StoredMessage) -> int:
        """The id of a message already stored (the same object), else store it now."""
        known = self._message_ids.get(id(message))
        if known is not None and self.state.messages.get(known) is message:
            return known
        message_id = self.state.next_message_id
        topic_id = self.state.topic_ids.get(message.topic)
        if topic_id is None:
            topic_id = len(self.state.topics) + 1
            self._record(Op.TOPIC_DEFINED, topic_id, message.topic)
        self._record(Op.MESSAGE_STORED, message_id, *message_fields(message, topic_id))
        self.state.messages[message_id] = message  # the caller's object, so fan-out finds it again
        self._message_ids[id(message)] = message_id
        return message_id

    def message_queued(
        self,
        client_id: str,
        message: StoredMessage,
        qos: int,
        retain: bool = False,
        subscription_ids: Iterable[int] = (),
        packet_id: int | None = None,
    ) -> int:
        """A message owed to a client; with ``packet_id`` it went out at once. Returns its sequence.

        Pass the same StoredMessage object for every client (and ``retained_set``) of one publish:
        it is written once.
        """
        number = self._number(client_id)
        sequence = self.state.sessions[number].next_sequence
        message_id = self._message_id(message)
        ids = list(subscription_ids)
        self._record(Op.MESSAGE_QUEUED, number, sequence, message_id, qos, retain, ids, packet_id)
        return sequence

    def message_sent(self, client_id: str, sequence: int | None, packet_id: int) -> None:
        """A queued message went out with ``packet_id``; ``sequence`` None means the oldest unsent."""
        number = self._number(client_id)
        sequence = self._oldest_unsent(number) if sequence is None else sequence
        if sequence is not None:
            self._record(Op.MESSAGE_SENT, number, sequence, packet_id)

    def _oldest_unsent(self, number: int) -> int | None:
        entries = self.state.sessions[number].entries
        return next((sequence for sequence, e in entries.items() if e.packet_id is None), None)

    def message_released(self, client_id: str, packet_id: int) -> None:
        """QoS 2: PUBREC arrived and PUBREL went out; the message waits for PUBCOMP."""
        self._record(Op.MESSAGE_RELEASED, self._number(client_id), packet_id)

    def message_acknowledged(self, client_id: str, packet_id: int) -> None:
        """PUBACK (QoS 1) or PUBCOMP (QoS 2): the client has it; forget it."""
        self._record(Op.MESSAGE_ACKNOWLEDGED, self._number(client_id), packet_id)

    def message_dropped(self, client_id: str, sequence: int | None = None) -> None:
        """A queued message will not be sent (it expired); ``sequence`` None means the oldest unsent."""
        number = self._number(client_id)
        sequence = self._oldest_unsent(number) if sequence is None else sequence
        if sequence is not None:
            self._record(Op.MESSAGE_DROPPED, number, sequence)

    def incoming_received(self, client_id: str, packet_id: int) -> None:
        """QoS 2 from the client: PUBLISH routed, its id kept until PUBREL (exactly once)."""
        self._record(Op.INCOMING_RECEIVED, self._number(client_id), packet_id)

    def incoming_released(self, client_id: str, packet_id: int) -> None:
        self._record(Op.INCOMING_RELEASED, self._number(client_id), packet_id)

    def retained_set(self, message: StoredMessage) -> None:
        self._record(Op.RETAINED_SET, self._message_id(message))

    def retained_cleared(self, topic: str) -> None:
        if topic in self.state.retained:
            self._record(Op.RETAINED_CLEARED, topic)

    # ---- disk -----------------------------------------------------------------------------

    @property
    def has_pending(self) -> bool:
        return bool(self._pending)

    @property
    def sync_due_at(self) -> float:
        """With a ``sync_interval``, when a deferred ``commit(now)`` will write (same clock as ``now``)."""
        return self._last_sync + self.sync_interval

    def commit(self, now: float | None = None) -> bool:
        """Write everything recorded since the last commit as one frame, then sync; True when durable.

        When it returns True the records survive a crash: send the acks they back only then. With a
        ``sync_interval`` and a ``now``, a commit sooner than the interval after the last one is
        deferred (returns False, nothing written): hold the acks and call again at ``sync_due_at``.
        That trades ack latency for fewer syncs (each sync rewrites at least one flash page).
        Raises StoreError on an I/O error: the journal is cut back to its last good commit and
        the records stay pending for the next try.
        """
        if not self._pending:
            return True
        if self.sync_interval and now is not None and now < self._last_sync + self.sync_interval:
            return False
        self._last_sync = now if now is not None else self._last_sync
        data = frame(self._pending)
        start = self.stats.journal_bytes
        try:
            self._write_all(self._journal_fd, data)
            self._sync(self._journal_fd)
        except OSError as error:
            os.ftruncate(self._journal_fd, start)
            raise StoreError(f"{self.folder / JOURNAL_NAME}: commit failed: {error}") from error
        self._pending = bytearray()
        self.stats.commits += 1
        self.stats.bytes_written += len(data)
        self.stats.journal_bytes += len(data)
        threshold = max(self.stats.snapshot_bytes * self.compact_factor, self.min_compact_bytes)
        if self.stats.journal_bytes > threshold:
            self.compact()
        return True

    def compact(self) -> None:
        """Write the live state as a new snapshot and start an empty journal of the next generation."""
        if self._pending:
            self.commit()  # records first, so the snapshot is never ahead of the journal
        generation = self._generation + 1
        snapshot = self._write_snapshot(generation)
        journal_header = bytearray()
        encode_record(journal_header, Op.HEADER, "journal", FORMAT_VERSION, generation)
        journal = frame(journal_header)
        self._replace_file(JOURNAL_NAME, [journal])
        if self._journal_fd >= 0:
            os.close(self._journal_fd)
        self._journal_fd = os.open(self.folder / JOURNAL_NAME, os.O_WRONLY | os.O_APPEND)
        self._generation = generation
        self.stats.snapshot_bytes = snapshot
        self.stats.journal_bytes = len(journal)
        self.stats.bytes_written += snapshot + len(journal)
        self.stats.compactions += 1
        self.state.prune()
        self.state.forget_topics()
        self._message_ids = {id(m): i for i, m in self.state.messages.items()}

    def _write_snapshot(self, generation: int) -> int:
        frames, body, count = [], bytearray(), 0
        encode_record(body, Op.HEADER, "snapshot", FORMAT_VERSION, generation)
        for record in self.state.snapshot_records():
            encode_record(body, *record)
            count += 1
            if len(body) >= SNAPSHOT_FRAME_BYTES:
                frames.append(frame(body))
                body = bytearray()
        encode_record(body, Op.SNAPSHOT_END, count)
        frames.append(frame(body))
        self._replace_file(SNAPSHOT_NAME, frames)
        return sum(len(f) for f in frames)

    def _replace_file(self, name: str, chunks: list[bytes]) -> None:
        """Atomically replace ``name``: write a temp file, sync it, rename, sync the folder."""
        temporary = self.folder / f"{name}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            self._write_all(fd, b"".join(chunks))
            self._sync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, self.folder / name)
        if self.durable:
            folder_fd = os.open(self.folder, os.O_RDONLY)
            try:
                os.fsync(folder_fd)
            finally:
                os.close(folder_fd)

    @staticmethod
    def _write_all(fd: int, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]

    def _sync(self, fd: int) -> None:
        if self.durable:
            os.fdatasync(fd)
            self.stats.syncs += 1

    def close(self) -> None:
        """Commit what is pending and release the folder."""
        if self._journal_fd < 0:
            return
        try:
            self.commit()
        finally:
            os.close(self._journal_fd)
            self._journal_fd = -1
            os.close(self._lock_fd)
