"""The store: group commit, recovery of exactly what was committed, damage handling, compaction."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from broker.persistence import (
    Store,
    StoredMessage,
    StoredProperties,
    StoredSubscription,
    StoredWill,
    StoreError,
    UnknownSession,
)
from broker.persistence.codec import read_frames


def _fill(store: Store, commits: int, start: int = 0) -> None:
    for index in range(start, start + commits):
        message = StoredMessage(f"perch/node/s{index}/temperature", b"21.%d" % index, 1, True)
        store.retained_set(message)
        store.message_queued("phone", message, 1, True, packet_id=index % 65535 + 1)
        store.commit()


def _open(folder: Path, **options: object):
    return Store.open(folder, durable=False, **options)


def _committed_store(folder: Path, commits: int = 6) -> None:
    store, _ = _open(folder)
    store.session_created("phone", 5, 3600)
    store.subscription_added("phone", StoredSubscription("perch/#", 1, identifier=7))
    store.commit()
    _fill(store, commits)
    store.close()


def test_everything_committed_comes_back(tmp_path: Path) -> None:
    store, state = Store.open(tmp_path)
    assert state.sessions == {} and state.retained == {} and state.problems == []
    store.session_created("phone", 5, 3600)
    store.subscription_added("phone", StoredSubscription("perch/#", 1, identifier=7))
    sensor = StoredMessage("perch/a/t", b"1", 2, True, 1.8e9, StoredProperties(content_type="text/plain"))
    store.retained_set(sensor)
    queued = store.message_queued("phone", sensor, 2, True, [7])
    store.message_sent("phone", queued, 9)
    store.message_released("phone", 9)
    store.incoming_received("phone", 4)
    store.will_set("phone", StoredWill("perch/a/status", b"offline", 1, True, 30))
    store.session_detached("phone", 1.7e9)
    store.commit()
    store.close()

    _, state = Store.open(tmp_path)
    session = state.sessions["phone"]
    assert (session.protocol_version, session.expiry_interval, session.detached_at) == (5, 3600, 1.7e9)
    assert session.subscriptions["perch/#"].identifier == 7
    [delivery] = session.deliveries
    assert (delivery.message, delivery.packet_id, delivery.released) == (sensor, 9, True)
    assert delivery.subscription_ids == (7,)
    assert session.incoming_qos2 == {4}
    assert session.will == StoredWill("perch/a/status", b"offline", 1, True, 30)
    assert state.retained == {"perch/a/t": sensor}


def test_records_not_committed_are_not_durable(tmp_path: Path) -> None:
    store, _ = _open(tmp_path)
    store.session_created("phone")
    store.commit()
    store.session_created("laptop")
    assert store.has_pending
    shutil.copytree(tmp_path, tmp_path / "crash")  # the files as a crash would leave them
    store.close()
    _, state = _open(tmp_path / "crash")
    assert set(state.sessions) == {"phone"}


def test_one_commit_is_one_write_and_one_sync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store, _ = Store.open(tmp_path)
    store.session_created("phone")
    calls: list[str] = []
    real_write, real_sync = os.write, os.fdatasync
    monkeypatch.setattr(os, "write", lambda fd, data: calls.append("write") or real_write(fd, data))
    monkeypatch.setattr(os, "fdatasync", lambda fd: calls.append("sync") or real_sync(fd))
    for index in range(50):
        store.retained_set(StoredMessage(f"t/{index}", b"x", 1, True))
    store.commit()
    store.commit()  # nothing pending: no I/O
    assert calls == ["write", "sync"]
    store.close()


def test_a_message_fanned_out_is_written_once(tmp_path: Path) -> None:
    store, _ = _open(tmp_path)
    for client in ("a", "b", "c"):
        store.session_created(client)
    store.commit()
    before = store.stats.journal_bytes
    big = StoredMessage("t", b"p" * 1000, 1)
    for client in ("a", "b", "c"):
        store.message_queued(client, big, 1)
    store.commit()
    assert 1000 < store.stats.journal_bytes - before < 1100
    store.close()


def test_bytes_written_per_sensor_reading(tmp_path: Path) -> None:
    """A retained QoS 1 reading to one online persistent subscriber, then its PUBACK: two commits.

    The topic is written once per journal; later readings of it cost their payload plus a few
    dozen bytes of records and framing (the figure in docs/persistence.md).
    """
    store, _ = _open(tmp_path, min_compact_bytes=1 << 30)
    store.session_created("phone", 4, 0xFFFFFFFF)
    store.commit()
    costs = []
    for packet_id, payload in enumerate([b"21.4", b"21.5", b"21.6"], start=1):
        before = store.stats.bytes_written
        reading = StoredMessage("perch/greenhouse/climate/temperature", payload, 1, True)
        store.retained_set(reading)
        store.message_queued("phone", reading, 1, True, packet_id=packet_id)
        store.commit()
        store.message_acknowledged("phone", packet_id)
        store.commit()
        costs.append(store.stats.bytes_written - before)
    topic = len(reading.topic)
    assert topic < costs[0] - costs[1] < topic + 10  # the first reading also defines the topic
    assert costs[1] == costs[2] <= len(reading.payload) + 60
    store.close()


def test_a_sync_interval_defers_commits_and_holds_nothing_back(tmp_path: Path) -> None:
    store, _ = _open(tmp_path, sync_interval=1.0)
    store.session_created("phone")
    assert store.commit(now=100.0) is True
    store.session_created("laptop")
    assert store.commit(now=100.4) is False  # too soon: hold the acks
    assert store.has_pending and store.sync_due_at == 101.0
    assert store.commit(now=101.0) is True and not store.has_pending
    assert store.stats.commits == 2
    store.close()
    assert set(_open(tmp_path)[1].sessions) == {"phone", "laptop"}


def test_unknown_client_is_a_clear_error(tmp_path: Path) -> None:
    store, _ = _open(tmp_path)
    with pytest.raises(UnknownSession, match="ghost"):
        store.message_acknowledged("ghost", 1)
    store.close()


def test_a_second_broker_cannot_use_the_same_folder(tmp_path: Path) -> None:
    store, _ = _open(tmp_path)
    with pytest.raises(StoreError, match="in use"):
        _open(tmp_path)
    store.close()
    _open(tmp_path)[0].close()


def test_a_torn_last_commit_is_dropped_at_every_byte(tmp_path: Path) -> None:
    _committed_store(tmp_path / "base", commits=0)
    _, before = _open(tmp_path / "base")  # state before the last commit, for comparison
    store, _ = _open(tmp_path / "work")
    store.close()
    _committed_store(tmp_path / "full", commits=0)
    store, _ = _open(tmp_path / "full")
    _fill(store, 1)
    store.close()
    journal = (tmp_path / "full" / "journal").read_bytes()
    frames, _ = read_frames(journal)
    last = frames[-1][0]
    assert len(journal) - last > 60
    for cut in range(last, len(journal)):
        case = tmp_path / f"cut{cut}"
        shutil.copytree(tmp_path / "full", case, ignore=shutil.ignore_patterns("lock"))
        (case / "journal").write_bytes(journal[:cut])
        store, state = _open(case)
        store.close()
        assert state.problems == [], cut
        assert (state.sessions, state.retained) == (before.sessions, before.retained), cut
        shutil.rmtree(case)


def _corrupt_journal(folder: Path, damage) -> int:
    journal = folder / "journal"
    data = bytearray(journal.read_bytes())
    frames, _ = read_frames(bytes(data))
    offset = frames[3][0]
    journal.write_bytes(damage(data, offset))
    return offset


@pytest.mark.parametrize(
    "damage",
    [
        lambda data, at: data[: at + 9] + bytes([data[at + 9] ^ 1]) + data[at + 10 :],
        lambda data, at: data[:at] + b"\x93\x07\xff\xff" + data[at:],
        lambda data, at: data[:at] + b"\xff" * 12 + data[at:],
    ],
    ids=["flipped-bit", "garbage-length-past-the-end", "garbage-bytes"],
)
def test_damage_mid_journal_is_reported_prefix_kept_and_the_broker_starts(tmp_path: Path, damage) -> None:
    store, _ = _open(tmp_path)
    store.session_created("phone")
    store.commit()
    _fill(store, 2)  # frames: header, session, two readings
    store.close()
    store, _ = _open(tmp_path)  # compacts: journal frames are now header, then one per commit
    _fill(store, 3, start=2)
    store.close()
    offset = _corrupt_journal(tmp_path, damage)

    store, state = _open(tmp_path)
    store.close()
    [problem] = state.problems
    assert f"{tmp_path / 'journal'}: offset {offset}" in problem
    assert "moved to" in problem
    assert len(list(tmp_path.glob("journal.damaged-*"))) == 1
    assert len(state.retained) == 2 + 2  # the intact prefix: the first two and the next commit
    _, again = _open(tmp_path)
    assert again.problems == [] and again.retained == state.retained


def test_a_damaged_snapshot_is_reported_and_set_aside(tmp_path: Path) -> None:
    _committed_store(tmp_path, commits=3)
    _open(tmp_path)[0].close()  # the reopen compacts everything into the snapshot
    snapshot = tmp_path / "snapshot"
    data = bytearray(snapshot.read_bytes())
    data[len(data) // 2] ^= 0xFF
    snapshot.write_bytes(bytes(data))
    store, state = _open(tmp_path)
    store.close()
    assert len(state.problems) == 1 and "snapshot" in state.problems[0]
    assert list(tmp_path.glob("snapshot.damaged-*"))


def test_compaction_keeps_the_journal_small_and_the_state_whole(tmp_path: Path) -> None:
    store, _ = _open(tmp_path, min_compact_bytes=4096, compact_factor=2)
    store.session_created("phone")
    for index in range(2000):
        reading = StoredMessage(f"perch/n/s{index % 20}/t", b"%d" % index, 1, True)
        store.retained_set(reading)
        store.message_queued("phone", reading, 1, True, packet_id=index % 100 + 1)
        store.commit()
        store.message_acknowledged("phone", index % 100 + 1)
        store.commit()
    assert store.stats.compactions > 10
    assert store.stats.journal_bytes <= 4096 + 200
    store.close()
    _, state = _open(tmp_path)
    assert {m.payload for m in state.retained.values()} == {b"%d" % i for i in range(1980, 2000)}
    assert state.sessions["phone"].deliveries == []


def test_an_io_error_in_commit_loses_and_duplicates_nothing(tmp_path: Path, monkeypatch) -> None:
    store, _ = Store.open(tmp_path)
    store.session_created("phone")
    store.commit()
    store.retained_set(StoredMessage("t/1", b"x", 1, True))
    real_sync = os.fdatasync

    def failing_sync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fdatasync", failing_sync)
    with pytest.raises(StoreError, match="commit failed"):
        store.commit()  # the server keeps the acks back
    assert store.has_pending
    monkeypatch.setattr(os, "fdatasync", real_sync)
    store.commit()
    journal = (tmp_path / "journal").read_bytes()
    frames, outcome = read_frames(journal)
    assert len(frames) == 3 and outcome.good_end == len(journal)  # header, session, the retry once
    store.close()
    _, state = _open(tmp_path)
    assert list(state.retained) == ["t/1"] and state.problems == []
