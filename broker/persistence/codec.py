"""The on-disk format: tagged values inside frames, each frame length + CRC32 checked.

A frame is ``varint(length) | crc32(length bytes + body) as 4 bytes LE | body``. A body is a run of
records; a record is one encoded list ``[opcode, field, ...]``. One group commit is one frame, so a
commit is all-or-nothing on replay and the 5-byte frame overhead is paid per commit, not per record.

``read_frames`` tells a torn tail (the last frame cut short by a crash mid-write: expected, dropped
silently) from damage (a CRC mismatch or garbage followed by more data: reported with its offset).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Any

MAX_FRAME = 512 * 1024 * 1024  # larger than any frame the store writes; beyond it is garbage

_NONE, _FALSE, _TRUE, _INT, _STR, _BYTES, _FLOAT, _LIST = range(8)
_DOUBLE = struct.Struct("<d")


class FormatError(ValueError):
    """A body that does not decode as records (garbage that happened to pass a CRC)."""


def _write_varint(out: bytearray, value: int) -> None:
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def _read_varint(data: bytes | memoryview, pos: int, end: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= end:
            raise IndexError("varint runs past the end")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise FormatError("varint too long")


def encode_value(out: bytearray, value: Any) -> None:
    """Append one value: None, bool, int, str, bytes, float or a list/tuple of these."""
    if value is None:
        out.append(_NONE)
    elif value is True or value is False:
        out.append(_TRUE if value else _FALSE)
    elif isinstance(value, int):
        out.append(_INT)
        _write_varint(out, (value << 1) if value >= 0 else ((-value << 1) - 1))
    elif isinstance(value, str):
        raw = value.encode("utf-8", "surrogatepass")
        out.append(_STR)
        _write_varint(out, len(raw))
        out += raw
    elif isinstance(value, bytes | bytearray | memoryview):
        out.append(_BYTES)
        _write_varint(out, len(value))
        out += value
    elif isinstance(value, float):
        out.append(_FLOAT)
        out += _DOUBLE.pack(value)
    elif isinstance(value, list | tuple):
        out.append(_LIST)
        _write_varint(out, len(value))
        for item in value:
            encode_value(out, item)
    else:
        raise TypeError(f"cannot store {type(value).__name__}")


def decode_value(data: bytes, pos: int, end: int) -> tuple[Any, int]:
    if pos >= end:
        raise FormatError("value runs past the end of its frame")
    tag = data[pos]
    pos += 1
    if tag <= _TRUE:
        return (None, False, True)[tag], pos
    if tag == _INT:
        raw, pos = _read_varint(data, pos, end)
        return (raw >> 1) if not raw & 1 else -((raw + 1) >> 1), pos
    if tag in (_STR, _BYTES):
        length, pos = _read_varint(data, pos, end)
        if pos + length > end:
            raise FormatError("string runs past the end of its frame")
        raw = bytes(data[pos : pos + length])
        return (raw.decode("utf-8", "surrogatepass") if tag == _STR else raw), pos + length
    if tag == _FLOAT:
        if pos + 8 > end:
            raise FormatError("float runs past the end of its frame")
        return _DOUBLE.unpack_from(data, pos)[0], pos + 8
    if tag == _LIST:
        count, pos = _read_varint(data, pos, end)
        items = []
        for _ in range(count):
            item, pos = decode_value(data, pos, end)
            items.append(item)
        return items, pos
    raise FormatError(f"unknown value tag {tag}")


def encode_record(out: bytearray, opcode: int, *fields: Any) -> None:
    encode_value(out, (opcode, *fields))


def decode_records(body: bytes) -> list[list[Any]]:
    """Every record in one frame body; FormatError when it does not parse completely."""
    records, pos, end = [], 0, len(body)
    while pos < end:
        try:
            record, pos = decode_value(body, pos, end)
        except IndexError as error:
            raise FormatError(str(error)) from error
        if not isinstance(record, list) or not record or not isinstance(record[0], int):
            raise FormatError("a record is not [opcode, ...]")
        records.append(record)
    return records


def frame(body: bytes | bytearray) -> bytes:
    header = bytearray()
    _write_varint(header, len(body))
    checksum = zlib.crc32(body, zlib.crc32(header))
    return bytes(header) + checksum.to_bytes(4, "little") + bytes(body)


@dataclass(frozen=True)
class ReadOutcome:
    """How reading a file ended: ``good_end`` is the offset after the last intact frame.

    ``damage`` is None for a clean end or a torn tail (``torn_tail`` True), else what was wrong.
    """

    good_end: int
    torn_tail: bool = False
    damage: str | None = None


def read_frames(data: bytes) -> tuple[list[tuple[int, bytes]], ReadOutcome]:
    """Split a file's bytes into (offset, body) frames, stopping at the first torn or damaged one."""
    bodies: list[tuple[int, bytes]] = []
    pos, end = 0, len(data)
    while pos < end:
        body, next_pos, problem = _next_frame(data, pos, end)
        if body is None:
            if not any(data[pos:]):  # a zero-filled tail: allocated, never written
                return bodies, ReadOutcome(pos, torn_tail=True)
            if problem is None and _intact_frame_after(data, pos, end):
                problem = "a frame length that runs past intact frames"
            if problem is None:
                return bodies, ReadOutcome(pos, torn_tail=True)
            return bodies, ReadOutcome(pos, damage=problem)
        bodies.append((pos, body))
        pos = next_pos
    return bodies, ReadOutcome(pos)


def _intact_frame_after(data: bytes, pos: int, end: int) -> bool:
    """Whether a frame with a good CRC starts after ``pos``: then a cut-short frame is damage, not a tail."""
    for start in range(pos + 1, end):
        body, _, _ = _next_frame(data, start, end)
        if body:
            return True
    return False


def _next_frame(data: bytes, pos: int, end: int) -> tuple[bytes | None, int, str | None]:
    """(body, next offset, None), or (None, pos, problem) with problem None for a cut-short frame."""
    try:
        length, body_start = _read_varint(data, pos, end)
    except IndexError:
        return None, pos, None
    except FormatError:
        return None, pos, "garbage where a frame length should be"
    if length > MAX_FRAME:
        return None, pos, f"frame length {length} is not plausible"
    body_start += 4
    if body_start + length > end:
        return None, pos, None
    stored = int.from_bytes(data[body_start - 4 : body_start], "little")
    body = data[body_start : body_start + length]
    if zlib.crc32(body, zlib.crc32(data[pos : body_start - 4])) != stored:
        return None, pos, "CRC32 mismatch"
    return body, body_start + length, None
