"""MQTT data representations (section 1.5): integers, variable byte integers, strings, binary data.

Readers take the packet bytes, a position and the end of the current packet, and return
`(value, next_position)`. They never read past `end` and raise `MalformedPacket` instead.
"""

from __future__ import annotations

from broker.codec.errors import MalformedPacket

MAX_VARINT = 268_435_455
MAX_UINT16 = 0xFFFF

# Precomputed encodings: most remaining lengths and property lengths are below 128.
_SMALL_VARINTS: tuple[bytes, ...] = tuple(bytes((value,)) for value in range(128))


def encode_varint(value: int) -> bytes:
    """Encode a variable byte integer (0 .. 268,435,455) in the fewest bytes [MQTT-1.5.5-1]."""
    if value < 128:
        return _SMALL_VARINTS[value]
    if value > MAX_VARINT:
        raise ValueError(f"{value} does not fit a variable byte integer")
    out = bytearray()
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def fixed_header_length(packet: bytes) -> int:
    """Bytes of the fixed header (type byte + Remaining Length) of one whole, well-framed packet."""
    length = 2
    while packet[length - 1] >= 128:
        length += 1
    return length


def read_varint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    """Read a variable byte integer of at most four bytes."""
    value = 0
    for shift in (0, 7, 14, 21):
        if pos >= end:
            raise MalformedPacket("variable byte integer runs past the end of the packet", "MQTT5 1.5.5")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 128:
            return value, pos
    raise MalformedPacket("variable byte integer longer than four bytes", "MQTT5 1.5.5")


def read_uint16(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    if pos + 2 > end:
        raise MalformedPacket("two-byte integer runs past the end of the packet", "MQTT5 1.5.2")
    return (buf[pos] << 8) | buf[pos + 1], pos + 2


def read_uint32(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    if pos + 4 > end:
        raise MalformedPacket("four-byte integer runs past the end of the packet", "MQTT5 1.5.3")
    return int.from_bytes(buf[pos : pos + 4], "big"), pos + 4


def read_binary(buf: bytes, pos: int, end: int) -> tuple[bytes, int]:
    """Read two-byte-length-prefixed binary data."""
    if pos + 2 > end:
        raise MalformedPacket("length prefix runs past the end of the packet", "MQTT5 1.5.6")
    stop = pos + 2 + ((buf[pos] << 8) | buf[pos + 1])
    if stop > end:
        raise MalformedPacket("length-prefixed field runs past the end of the packet", "MQTT5 1.5.6")
    return bytes(buf[pos + 2 : stop]), stop


def read_string(buf: bytes, pos: int, end: int) -> tuple[str, int]:
    """Read a UTF-8 encoded string, rejecting ill-formed UTF-8, surrogates and U+0000."""
    if pos + 2 > end:
        raise MalformedPacket("string length runs past the end of the packet", "MQTT-1.5.3-1")
    stop = pos + 2 + ((buf[pos] << 8) | buf[pos + 1])
    if stop > end:
        raise MalformedPacket("string runs past the end of the packet", "MQTT-1.5.3-1")
    return decode_utf8(buf[pos + 2 : stop]), stop


def decode_utf8(raw: bytes) -> str:
    """Decode MQTT UTF-8 (Python's strict decoder already refuses surrogates and overlong forms)."""
    try:
        text = raw.decode()
    except UnicodeDecodeError as error:
        raise MalformedPacket(f"ill-formed UTF-8 string ({error.reason})", "MQTT-1.5.3-1") from None
    if "\x00" in text:
        raise MalformedPacket("string contains U+0000", "MQTT-1.5.3-2")
    return text


def encode_binary(data: bytes) -> bytes:
    if len(data) > MAX_UINT16:
        raise ValueError(f"binary field of {len(data)} bytes exceeds 65535")
    return len(data).to_bytes(2, "big") + data


def encode_string(text: str | bytes) -> bytes:
    """Encode a UTF-8 string with its two-byte length (bytes are taken as already encoded)."""
    raw = text.encode() if isinstance(text, str) else text
    if len(raw) > MAX_UINT16:
        raise ValueError(f"string of {len(raw)} bytes exceeds 65535")
    return len(raw).to_bytes(2, "big") + raw


def frame(first_byte: int, body: bytes) -> bytes:
    """Prefix a packet body with its fixed header (type/flags byte and remaining length)."""
    return bytes((first_byte,)) + encode_varint(len(body)) + body


def require_end(pos: int, end: int, packet_name: str) -> None:
    """A packet must end exactly where its remaining length says."""
    if pos != end:
        raise MalformedPacket(f"{end - pos} unexpected trailing bytes in {packet_name}", "MQTT5 2.1.4")
