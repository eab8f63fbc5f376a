"""Every hand-written byte vector decodes to its packet, or fails with its reason code and spec id."""

from __future__ import annotations

import pytest

from broker.codec import (
    Connect,
    MalformedPacket,
    Packet,
    ProtocolVersion,
    StreamDecoder,
    UnsupportedProtocolVersion,
    encode,
)
from tests.broker.codec.vectors import INVALID, VALID, Invalid, Valid

CONNECT_BY_VERSION = {version: encode(Connect(client_id="c"), version) for version in ProtocolVersion}


def decode_vector(vector: Valid | Invalid) -> list[Packet]:
    """Decode as the receiving side would: a server after the client's CONNECT, or a client."""
    data = vector.data
    if not vector.to_server:
        return StreamDecoder(protocol_version=vector.version).feed(data)
    decoder = StreamDecoder()
    after_connect = getattr(vector, "after_connect", None)
    if after_connect is None:
        after_connect = data[0] >> 4 != 1
    if after_connect:
        assert isinstance(decoder.feed(CONNECT_BY_VERSION[vector.version])[0], Connect)
    return decoder.feed(data)


@pytest.mark.parametrize("vector", VALID, ids=lambda vector: vector.name)
def test_valid_vector_decodes_to_its_packet(vector: Valid) -> None:
    assert decode_vector(vector) == [vector.packet]


@pytest.mark.parametrize("vector", [v for v in VALID if v.canonical], ids=lambda vector: vector.name)
def test_encoder_produces_the_valid_vector(vector: Valid) -> None:
    assert encode(vector.packet, vector.version).hex() == vector.data.hex()


@pytest.mark.parametrize("vector", INVALID, ids=lambda vector: vector.name)
def test_invalid_vector_raises_with_reason_and_spec_id(vector: Invalid) -> None:
    with pytest.raises(MalformedPacket) as caught:
        decode_vector(vector)
    assert (caught.value.reason_code, caught.value.spec_id) == (vector.reason, vector.spec_id), str(
        caught.value
    )


def test_unsupported_level_carries_the_level_for_the_connack() -> None:
    """[MQTT-3.1.2-2]: the engine answers CONNACK 0x01 / 0x84, so it needs the level the client sent."""
    data = bytes.fromhex("10 0c 0004 4d515454 07 02 003c 0000")
    with pytest.raises(UnsupportedProtocolVersion) as caught:
        StreamDecoder().feed(data)
    assert (caught.value.level, caught.value.protocol_name) == (7, "MQTT")


# CONNECT vectors that fail before (or at) the protocol level: no version to answer in.
_FAILS_BEFORE_THE_LEVEL = {
    "unknown protocol name",
    "protocol level 6",
    "MQIsdp at level 4",
    "connect truncated header",
}
_FAILED_CONNECTS = [v for v in INVALID if v.to_server and v.data[0] >> 4 == 1 and v.after_connect is None]


@pytest.mark.parametrize("vector", _FAILED_CONNECTS, ids=lambda vector: vector.name)
def test_failed_connect_carries_the_protocol_version_it_named(vector: Invalid) -> None:
    """[MQTT-4.13.1-1]: a bad CONNECT is refused in the client's version (an MQTT 5 CONNACK with the reason
    code), so the error says which version the CONNECT named once its level was read."""
    with pytest.raises(MalformedPacket) as caught:
        StreamDecoder().feed(vector.data)
    expected = None if vector.name in _FAILS_BEFORE_THE_LEVEL else vector.version
    assert caught.value.protocol_version == expected
