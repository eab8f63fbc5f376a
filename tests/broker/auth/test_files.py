"""Atomic replacement of private files: mode, owner and group, and nothing left behind on failure."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from broker.auth.files import PRIVATE, PUBLIC, write_atomically
from tests.support.tools import require_root


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(
    ("existing_mode", "requested", "expected"),
    [
        (None, PRIVATE, 0o600),
        (0o644, PRIVATE, 0o640),  # closed to others; mosquitto_passwd makes 0644 files
        (0o604, PRIVATE, 0o600),
        (0o640, PRIVATE, 0o640),  # root:perch 0640 keeps working for a broker in group perch
        (0o600, PUBLIC, 0o644),
    ],
)
def test_modes(tmp_path: Path, existing_mode: int | None, requested: int, expected: int) -> None:
    path = tmp_path / "file"
    if existing_mode is not None:
        path.write_bytes(b"old")
        path.chmod(existing_mode)
    write_atomically(path, b"new", mode=requested)
    assert path.read_bytes() == b"new"
    assert mode_of(path) == expected


def test_owner_and_group_of_the_replaced_file_are_kept(tmp_path: Path) -> None:
    require_root()
    path = tmp_path / "passwd"
    path.write_bytes(b"old")
    os.chown(path, 65534, 65534)  # nobody:nogroup, standing in for perch:perch
    write_atomically(path, b"new", mode=PRIVATE)
    status = path.stat()
    assert (status.st_uid, status.st_gid) == (65534, 65534)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "passwd"
    path.write_bytes(b"old")

    def full_disk(_descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        write_atomically(path, b"new", mode=PRIVATE)
    assert path.read_bytes() == b"old"
    assert [entry.name for entry in tmp_path.iterdir()] == ["passwd"]
