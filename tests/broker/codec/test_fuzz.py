"""Random and mutated bytes never make the decoder raise anything but MalformedPacket.

Anything else (IndexError, ValueError, UnicodeError, KeyError...) would escape the engine's error handling
and is a codec bug.
"""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from broker.codec import Connect, MalformedPacket, ProtocolVersion, StreamDecoder, encode
from tests.broker.codec.strategies import FUZZ_EXAMPLES, packets
from tests.broker.codec.vectors import INVALID, VALID

SEEDS = [vector.data for vector in VALID + INVALID]
CONNECTS = {version: encode(Connect(client_id="fuzz"), version) for version in ProtocolVersion}


def decoders() -> list[StreamDecoder]:
    """A fresh server side, a server side after each version's CONNECT, and a client side per version."""
    result = [StreamDecoder()]
    for version in ProtocolVersion:
        server = StreamDecoder()
        server.feed(CONNECTS[version])
        result += (server, StreamDecoder(protocol_version=version))
    return result


def feed_everywhere(data: bytes, chunk_size: int = 0) -> None:
    for decoder in decoders():
        try:
            if chunk_size:
                for start in range(0, len(data), chunk_size):
                    decoder.feed(data[start : start + chunk_size])
            else:
                decoder.feed(data)
        except MalformedPacket:
            pass


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid packet (a vector or a generated one) with a few bytes flipped, inserted, removed or cut."""
    if draw(st.booleans()):
        data = bytearray(draw(st.sampled_from(SEEDS)))
    else:
        version = draw(st.sampled_from(list(ProtocolVersion)))
        data = bytearray(encode(draw(packets(version)), version))
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        action = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate"]))
        if action == "insert" or not data:
            data.insert(position, draw(st.integers(0, 255)))
        elif action == "flip":
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif action == "set":
            data[position] = draw(st.sampled_from([0x00, 0x7F, 0x80, 0xFF]))
        elif action == "delete":
            del data[position]
        else:
            del data[position:]
    return bytes(data)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(data=st.binary(max_size=200), chunk_size=st.integers(0, 7))
@example(data=bytes.fromhex("30 80 80 80 80 01"), chunk_size=0)
@example(data=bytes.fromhex("82 04 0001 ff ff"), chunk_size=1)
def test_random_bytes_raise_only_malformed_packet(data: bytes, chunk_size: int) -> None:
    feed_everywhere(data, chunk_size)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(data=mutated(), chunk_size=st.integers(0, 3))
def test_mutated_packets_raise_only_malformed_packet(data: bytes, chunk_size: int) -> None:
    feed_everywhere(data, chunk_size)
