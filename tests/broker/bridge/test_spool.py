"""The bridge spool: ordered, bounded (oldest dropped), durable across reopen, damage set aside."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from broker.bridge.spool import Spool


def test_messages_come_back_in_order_after_reopen(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.spool", durable=False)
    for number in range(10):
        spool.append("t", b"%d" % number, 1, False)
    spool.commit()
    spool.delivered(1)
    spool.delivered(2)
    spool.commit()
    again = Spool(tmp_path / "s.spool", durable=False)
    assert [m.payload for m in again.messages.values()] == [b"%d" % n for n in range(2, 10)]
    assert [m.payload for m in again.after(5, 3)] == [b"5", b"6", b"7"]
    assert again.append("t", b"new", 1, True).sequence == 11  # sequences keep counting


def test_uncommitted_appends_are_not_durable(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.spool", durable=False)
    spool.append("t", b"committed", 1, False)
    spool.commit()
    spool.append("t", b"pending", 1, False)
    assert [m.payload for m in Spool(tmp_path / "s.spool", durable=False).messages.values()] == [b"committed"]


@pytest.mark.parametrize(("max_messages", "max_bytes"), [(5, 1 << 20), (1000, 5 * 9)])
def test_a_full_spool_drops_the_oldest(tmp_path: Path, max_messages: int, max_bytes: int) -> None:
    spool = Spool(tmp_path / "s.spool", max_messages=max_messages, max_bytes=max_bytes, durable=False)
    for number in range(8):
        spool.append("topic", b"%04d" % number, 1, False)  # 9 bytes each (topic + payload)
    spool.commit()
    assert [m.payload for m in spool.messages.values()] == [b"%04d" % n for n in range(3, 8)]
    assert spool.dropped == 3
    assert len(Spool(tmp_path / "s.spool", durable=False).messages) == 5


def test_the_file_is_rewritten_once_mostly_delivered(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.spool", durable=False)
    for _ in range(3000):
        message = spool.append("perch/node/sensor/value", b"x" * 40, 1, False)
        spool.commit()
        spool.delivered(message.sequence)
        spool.commit()
    assert os.path.getsize(tmp_path / "s.spool") < 64 * 1024 + 200
    assert Spool(tmp_path / "s.spool", durable=False).messages == {}


def test_damage_is_reported_and_the_file_set_aside(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.spool", durable=False)
    for number in range(3):
        spool.append("t", b"%d" % number, 1, False)
        spool.commit()
    data = bytearray((tmp_path / "s.spool").read_bytes())
    data[-3] ^= 0xFF  # inside the last frame
    (tmp_path / "s.spool").write_bytes(bytes(data) + b"\x05\x00\x00\x00\x00hello")
    again = Spool(tmp_path / "s.spool", durable=False)
    assert [m.payload for m in again.messages.values()] == [b"0", b"1"]
    assert len(again.problems) == 1 and "offset" in again.problems[0]
    assert list(tmp_path.glob("s.spool.damaged-*"))
