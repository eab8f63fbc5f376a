"""Sensirion CRC-8 (polynomial 0x31, init 0xFF) and word framing."""

import pytest

from agents.drivers.base import ReadError
from agents.drivers.sensirion import crc8, pack_words, unpack_words


def test_datasheet_example_crc_of_beef_is_0x92():
    assert crc8(bytes([0xBE, 0xEF])) == 0x92


def test_crc_of_nothing_is_the_initial_value():
    assert crc8(b"") == 0xFF


def test_words_round_trip_with_their_crcs():
    data = pack_words(0xBEEF, 0x0000, 0xFFFF)
    assert data[:3] == bytes([0xBE, 0xEF, 0x92])
    assert unpack_words(data) == [0xBEEF, 0x0000, 0xFFFF]


def test_a_flipped_bit_is_a_read_error_naming_the_word():
    data = bytearray(pack_words(0x1234, 0x5678))
    data[4] ^= 0x01
    with pytest.raises(ReadError, match="CRC mismatch in measurement word 1"):
        unpack_words(bytes(data), "measurement")
