"""Sensirion's CRC-8 and word framing, shared by the SHT3x, SHT4x, SCD4x (and AHT20) drivers and emulators.

Sensirion sensors send data as 16-bit big-endian words, each followed by a CRC-8 byte
(polynomial 0x31, initial value 0xFF, no reflection, no final XOR); CRC(0xBE, 0xEF) is 0x92.
"""

from __future__ import annotations

from agents.drivers.base import ReadError

POLYNOMIAL = 0x31
INITIAL = 0xFF


def crc8(data: bytes | list[int]) -> int:
    """Sensirion CRC-8 of ``data``."""
    crc = INITIAL
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc << 1 ^ POLYNOMIAL) & 0xFF if crc & 0x80 else crc << 1 & 0xFF
    return crc


def pack_words(*words: int) -> bytes:
    """Words as the sensor sends (and takes) them: MSB, LSB, CRC for each."""
    out = bytearray()
    for word in words:
        pair = bytes([word >> 8 & 0xFF, word & 0xFF])
        out += pair + bytes([crc8(pair)])
    return bytes(out)


def unpack_words(data: bytes | list[int], what: str = "data") -> list[int]:
    """Check each word's CRC and return the words; a mismatch is a :class:`ReadError`."""
    data = bytes(data)
    if len(data) % 3:
        raise ValueError(f"{len(data)} bytes is not a whole number of words with CRC")
    words = []
    for index in range(0, len(data), 3):
        pair, received = data[index : index + 2], data[index + 2]
        expected = crc8(pair)
        if received != expected:
            raise ReadError(
                f"CRC mismatch in {what} word {index // 3}: got 0x{received:02x}, expected 0x{expected:02x}"
            )
        words.append(pair[0] << 8 | pair[1])
    return words
