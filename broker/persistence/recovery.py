"""Reading the store's files at start: snapshot, then journal, reporting damage and never failing.

A torn last frame (a crash in the middle of a write) is dropped silently. A CRC mismatch, garbage,
or a record that does not parse is reported with the file and offset; the intact prefix is kept
and the damaged file is moved aside (``journal.damaged-<time>``) so the next start is clean.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from broker.persistence.codec import FormatError, decode_records, read_frames
from broker.persistence.records import Op
from broker.persistence.state import LiveState

log = logging.getLogger("perch.broker.persistence")

FORMAT_VERSION = 1
SNAPSHOT_NAME = "snapshot"
JOURNAL_NAME = "journal"


@dataclass
class FileReport:
    """What reading one file found: its generation, commits applied, and any problem."""

    generation: int | None = None
    frames: int = 0
    problem: str | None = None
    complete: bool = False  # a snapshot that reached its end record


@dataclass
class Recovery:
    state: LiveState = field(default_factory=LiveState)
    generation: int = 0
    problems: list[str] = field(default_factory=list)


def recover(folder: Path) -> Recovery:
    """Replay ``snapshot`` then ``journal`` from ``folder`` into a fresh state."""
    recovery = Recovery()
    snapshot = _replay(folder / SNAPSHOT_NAME, "snapshot", recovery.state, None)
    if snapshot.problem is None and snapshot.generation is not None and not snapshot.complete:
        snapshot.problem = f"{folder / SNAPSHOT_NAME}: ends before its end record"
    _note(folder / SNAPSHOT_NAME, snapshot, recovery)
    minimum = snapshot.generation or 0
    journal = _replay(folder / JOURNAL_NAME, "journal", recovery.state, minimum)
    _note(folder / JOURNAL_NAME, journal, recovery)
    recovery.generation = max(minimum, journal.generation or 0)
    recovery.state.prune()
    return recovery


def _note(path: Path, report: FileReport, recovery: Recovery) -> None:
    if report.problem is None:
        return
    aside = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}")
    try:
        path.rename(aside)
        where = f"moved to {aside}"
    except OSError as error:
        where = f"could not be moved aside ({error})"
    message = f"{report.problem}; kept the {report.frames} intact commits before it; the file {where}"
    log.error("persistence: %s", message)
    recovery.problems.append(message)


def _replay(path: Path, kind: str, state: LiveState, minimum_generation: int | None) -> FileReport:
    """Apply one file's records; a journal older than ``minimum_generation`` is already in the snapshot."""
    report = FileReport()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return report
    except OSError as error:
        report.problem = f"{path}: cannot be read: {error}"
        return report
    frames, outcome = read_frames(data)
    if outcome.torn_tail and outcome.good_end < len(data):
        log.info("persistence: %s: dropped a torn last commit at offset %d", path, outcome.good_end)
    for index, (offset, body) in enumerate(frames):
        try:
            records = decode_records(body)
            if index == 0:
                report.generation = _check_header(records, kind)
                if minimum_generation is not None and report.generation < minimum_generation:
                    return report  # stale: a compaction finished after this journal was written
            for record in records:
                if record[0] == Op.SNAPSHOT_END:
                    report.complete = True
                state.apply(record)
        except (FormatError, TypeError, ValueError, KeyError, AttributeError) as error:
            report.problem = f"{path}: offset {offset}: record does not parse ({error})"
            return report
        report.frames += 1
    if outcome.damage is not None:
        report.problem = f"{path}: offset {outcome.good_end}: {outcome.damage}"
    elif not frames and data and not outcome.torn_tail:
        report.problem = f"{path}: no header"
    return report


def _check_header(records: list[list], kind: str) -> int:
    header = records[0]
    if len(header) != 4 or header[0] != Op.HEADER or header[1] != kind:
        raise FormatError(f"not a Perch {kind} header")
    if header[2] != FORMAT_VERSION:
        raise FormatError(f"format version {header[2]}, this Perch reads {FORMAT_VERSION}")
    if not isinstance(header[3], int):
        raise FormatError("generation is not a number")
    return header[3]
