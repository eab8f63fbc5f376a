"""The on-disk framing: values round-trip, a torn tail is silent, damage is located."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broker.persistence.codec import (
    FormatError,
    decode_records,
    decode_value,
    encode_record,
    encode_value,
    frame,
    read_frames,
)

scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.text() | st.binary()
values = st.recursive(scalars | st.floats(allow_nan=False), lambda inner: st.lists(inner, max_size=4))


@given(values)
def test_every_value_round_trips(value: object) -> None:
    out = bytearray()
    encode_value(out, value)
    decoded, end = decode_value(bytes(out), 0, len(out))
    assert decoded == (list(value) if isinstance(value, tuple) else value)
    assert end == len(out)


def test_a_record_body_that_does_not_parse_is_a_format_error() -> None:
    with pytest.raises(FormatError):
        decode_records(b"\x07\x05\x03")  # a list of five with one item
    with pytest.raises(FormatError):
        decode_records(b"\x04\x01a")  # a string where a record should be


def _file(*bodies: bytes) -> bytes:
    return b"".join(frame(body) for body in bodies)


def _body(number: int) -> bytes:
    out = bytearray()
    encode_record(out, 13, number, "x" * number)
    return bytes(out)


def test_frames_come_back_with_their_offsets() -> None:
    data = _file(_body(1), _body(2), _body(3))
    frames, outcome = read_frames(data)
    assert [body for _, body in frames] == [_body(1), _body(2), _body(3)]
    assert frames[0][0] == 0
    assert outcome.good_end == len(data)
    assert (outcome.torn_tail, outcome.damage) == (False, None)


def test_a_tail_cut_at_any_byte_is_dropped_silently() -> None:
    whole = _file(_body(1), _body(2), _body(40))
    last_start = len(_file(_body(1), _body(2)))
    for cut in range(last_start + 1, len(whole)):
        frames, outcome = read_frames(whole[:cut])
        assert len(frames) == 2, cut
        assert outcome.torn_tail and outcome.damage is None, cut
        assert outcome.good_end == last_start


def test_a_zero_filled_tail_is_a_torn_write_not_damage() -> None:
    frames, outcome = read_frames(_file(_body(1)) + bytes(700))
    assert len(frames) == 1
    assert outcome.torn_tail and outcome.damage is None


def test_a_flipped_byte_mid_file_is_reported_at_its_frame() -> None:
    data = bytearray(_file(_body(1), _body(5), _body(3)))
    second = len(frame(_body(1)))
    data[second + 8] ^= 0x40
    frames, outcome = read_frames(bytes(data))
    assert len(frames) == 1
    assert outcome.damage == "CRC32 mismatch"
    assert outcome.good_end == second


def test_garbage_with_an_absurd_length_is_damage() -> None:
    frames, outcome = read_frames(_file(_body(1)) + b"\xff" * 12)
    assert len(frames) == 1
    assert outcome.damage is not None
