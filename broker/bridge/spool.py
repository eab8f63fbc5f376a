"""The bridge's outgoing spool: QoS 1/2 messages taken from the local broker, kept on disk in order
until the upstream broker acknowledges them, so an outage or a restart loses none.

One file of frames in the persistence format (``broker/persistence/codec.py``): ``[1, seq, topic,
payload, qos, retain]`` when a message is taken, ``[2, seq]`` when upstream acknowledged it.
Appends are grouped: ``commit()`` writes everything since the last commit with one write and one
fdatasync, and the bridge acknowledges the local broker only after that. The file is rewritten
(temp file, fsync, rename) when it holds mostly acknowledged messages. Bounded by count and bytes:
when full, the oldest message is dropped (a sensor's newest reading matters most) and counted.
"""

from __future__ import annotations

import logging
import os
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from broker.persistence.codec import FormatError, decode_records, encode_record, frame, read_frames

log = logging.getLogger("perch.bridge")

_TAKEN, _DELIVERED = 1, 2
_MIN_REWRITE = 64 * 1024


@dataclass(frozen=True, slots=True)
class SpooledMessage:
    sequence: int
    topic: str
    payload: bytes
    qos: int
    retain: bool

    @property
    def size(self) -> int:
        return len(self.topic) + len(self.payload)


class Spool:
    """Ordered, bounded, durable. Not thread-safe: the bridge's worker thread owns it."""

    def __init__(
        self,
        path: str | os.PathLike,
        max_messages: int = 100_000,
        max_bytes: int = 64 << 20,
        durable: bool = True,
    ) -> None:
        self.path = Path(path)
        self.max_messages, self.max_bytes, self.durable = max_messages, max_bytes, durable
        self.messages: OrderedDict[int, SpooledMessage] = OrderedDict()
        self.bytes = 0
        self.dropped = 0
        self.problems: list[str] = []
        self._next_sequence = 1
        self._pending = bytearray()
        self._file_bytes = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._load()
        self._rewrite()

    def _load(self) -> None:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return
        frames, outcome = read_frames(data)
        for offset, body in frames:
            try:
                for record in decode_records(body):
                    self._apply(record)
            except (FormatError, TypeError, ValueError) as error:
                self._set_aside(f"{self.path}: offset {offset}: record does not parse ({error})")
                return
        if outcome.damage is not None:
            self._set_aside(f"{self.path}: offset {outcome.good_end}: {outcome.damage}")

    def _set_aside(self, problem: str) -> None:
        aside = self.path.with_name(f"{self.path.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
        self.path.rename(aside)
        message = f"{problem}; kept the {len(self.messages)} messages before it; moved the file to {aside}"
        log.error("bridge spool: %s", message)
        self.problems.append(message)

    def _apply(self, record: list) -> None:
        if record[0] == _TAKEN:
            message = SpooledMessage(*record[1:6])
            self.messages[message.sequence] = message
            self.bytes += message.size
            self._next_sequence = max(self._next_sequence, message.sequence + 1)
        elif record[0] == _DELIVERED:
            message = self.messages.pop(record[1], None)
            if message is not None:
                self.bytes -= message.size

    def append(self, topic: str, payload: bytes, qos: int, retain: bool) -> SpooledMessage:
        """Keep a message (durable after the next ``commit()``); the oldest go when full."""
        message = SpooledMessage(self._next_sequence, topic, bytes(payload), qos, retain)
        while self.messages and (
            len(self.messages) >= self.max_messages or self.bytes + message.size > self.max_bytes
        ):
            oldest = next(iter(self.messages))
            self.delivered(oldest)
            self.dropped += 1
        self._record(_TAKEN, message.sequence, topic, message.payload, qos, retain)
        return message

    def delivered(self, sequence: int) -> None:
        """Upstream acknowledged it (or it was dropped): forget it."""
        if sequence in self.messages:
            self._record(_DELIVERED, sequence)

    def _record(self, opcode: int, *fields: object) -> None:
        encode_record(self._pending, opcode, *fields)
        self._apply([opcode, *fields])

    def after(self, sequence: int, limit: int) -> list[SpooledMessage]:
        """Up to ``limit`` messages with a sequence above ``sequence``, oldest first."""
        found = []
        for message in self.messages.values():
            if message.sequence > sequence:
                found.append(message)
                if len(found) >= limit:
                    break
        return found

    def commit(self) -> None:
        if not self._pending:
            return
        data = frame(self._pending)
        self._pending = bytearray()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            _write_all(fd, data)
            if self.durable:
                os.fdatasync(fd)
        finally:
            os.close(fd)
        self._file_bytes += len(data)
        if self._file_bytes > max(_MIN_REWRITE, 4 * (self.bytes + 32 * len(self.messages))):
            self._rewrite()

    def _rewrite(self) -> None:
        """Replace the file with just the messages still waiting (temp file, fsync, rename)."""
        body = bytearray()
        for m in self.messages.values():
            encode_record(body, _TAKEN, m.sequence, m.topic, m.payload, m.qos, m.retain)
        data = frame(body) if body else b""
        temporary = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            _write_all(fd, data)
            if self.durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, self.path)
        if self.durable:
            folder = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(folder)  # the rename itself must survive a power cut
            finally:
                os.close(folder)
        self._file_bytes = len(data)
        self._pending = bytearray()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
