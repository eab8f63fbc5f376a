"""Variable byte integers and UTF-8 strings (section 1.5)."""

from __future__ import annotations

import pytest

from broker.codec import MalformedPacket
from broker.codec.primitives import decode_utf8, encode_string, encode_varint, read_string, read_varint

# The boundaries of Table 1.1 (3.1.1) / 1.5.5 (5.0).
VARINTS = [
    (0, "00"),
    (127, "7f"),
    (128, "8001"),
    (16_383, "ff7f"),
    (16_384, "808001"),
    (2_097_151, "ffff7f"),
    (2_097_152, "80808001"),
    (268_435_455, "ffffff7f"),
]


@pytest.mark.parametrize(("value", "hex_text"), VARINTS)
def test_varint_boundaries(value: int, hex_text: str) -> None:
    data = bytes.fromhex(hex_text)
    assert encode_varint(value) == data
    assert read_varint(data, 0, len(data)) == (value, len(data))


def test_varint_limits() -> None:
    with pytest.raises(ValueError):
        encode_varint(268_435_456)
    with pytest.raises(MalformedPacket):
        read_varint(bytes.fromhex("ffffffff01"), 0, 5)
    with pytest.raises(MalformedPacket):
        read_varint(bytes.fromhex("ff"), 0, 1)


def test_string_never_reads_past_end() -> None:
    data = bytes.fromhex("0003 616263 ff")
    assert read_string(data, 0, 5 + 0) == ("abc", 5)
    with pytest.raises(MalformedPacket):
        read_string(data, 0, 4)


@pytest.mark.parametrize(
    ("raw", "spec_id"),
    [
        (b"\xc0\xaf", "MQTT-1.5.3-1"),  # overlong "/"
        (b"\xed\xa0\x80", "MQTT-1.5.3-1"),  # U+D800 surrogate
        (b"\xf4\x90\x80\x80", "MQTT-1.5.3-1"),  # beyond U+10FFFF
        (b"a\x00b", "MQTT-1.5.3-2"),
    ],
)
def test_ill_formed_utf8(raw: bytes, spec_id: str) -> None:
    with pytest.raises(MalformedPacket) as caught:
        decode_utf8(raw)
    assert caught.value.spec_id == spec_id


def test_bom_is_kept() -> None:
    """[MQTT-1.5.3-3]: a leading U+FEFF must not be skipped or stripped."""
    assert decode_utf8(b"\xef\xbb\xbfa") == "\ufeffa"


def test_encode_string_length_limit() -> None:
    assert encode_string("é") == b"\x00\x02\xc3\xa9"
    with pytest.raises(ValueError):
        encode_string("x" * 65_536)
