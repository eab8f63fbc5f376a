"""The PUBLISH fast paths: encode_publish, PublishTemplate, and decode without allocations."""

from __future__ import annotations

import pytest

from broker.codec import (
    EMPTY_PROPERTIES,
    Properties,
    ProtocolVersion,
    Publish,
    PublishTemplate,
    decode_packet,
    encode,
    encode_publish,
)
from broker.codec import publish as publish_codec
from broker.codec.publish import encode_plain_publish

V311, V5 = ProtocolVersion.V311, ProtocolVersion.V5


def test_encode_publish_qos0_v311_matches_the_spec_layout() -> None:
    assert encode_publish("a/b", b"21.4", 0, True, False, None, None, V311) == bytes.fromhex(
        "31 09 0003 612f62 32312e34"
    )


def test_encode_publish_accepts_a_pre_encoded_topic() -> None:
    as_text = encode_publish("é/t", b"x", 1, False, False, 7, None, V5)
    assert encode_publish("é/t".encode(), b"x", 1, False, False, 7, None, V5) == as_text


def test_encode_publish_with_a_four_byte_remaining_length() -> None:
    payload = bytes(2_100_000)
    data = encode_publish("t", payload, 0, False, False, None, None, V311)
    assert data[1:5] == bytes.fromhex("a3 96 80 01")  # 2,100,003 = 35 + 22·128 + 0·128² + 1·128³
    assert decode_packet(data, V311) == Publish("t", payload)


@pytest.mark.parametrize("version", list(ProtocolVersion), ids=lambda v: v.name)
@pytest.mark.parametrize("qos", [0, 1, 2])
def test_template_renders_what_encode_publish_produces(version: ProtocolVersion, qos: int) -> None:
    properties = (
        Properties(message_expiry_interval=30, user_properties=[("a", "b")]) if version == V5 else None
    )
    template = PublishTemplate("s/t", b"payload", qos, True, properties, version)
    packet_id = 513 if qos else None
    for dup in (False, True) if qos else (False,):
        expected = encode_publish("s/t", b"payload", qos, True, dup, packet_id, properties, version)
        assert template.render(packet_id, dup) == expected
        assert template.size == len(expected)


def test_template_qos0_returns_the_same_bytes_every_time() -> None:
    template = PublishTemplate("t", b"x", 0, False, None, V311)
    assert template.render() is template.render()


def test_template_splices_each_packet_id() -> None:
    template = PublishTemplate("t", b"x", 1, False, None, V311)
    assert decode_packet(template.render(1), V311).packet_id == 1
    assert decode_packet(template.render(65535, dup=True), V311) == Publish("t", b"x", 1, False, True, 65535)


def test_v311_publish_shares_the_empty_properties() -> None:
    """No Properties allocation per decoded 3.1.1 PUBLISH or property-less v5 PUBLISH."""
    first = decode_packet(encode(Publish("t", b"1"), V311), V311)
    second = decode_packet(encode(Publish("t", b"2"), V5), V5)
    assert first.properties is EMPTY_PROPERTIES
    assert second.properties is EMPTY_PROPERTIES


def test_decoded_payload_is_independent_bytes() -> None:
    data = bytearray(encode(Publish("t", b"abc"), V311))
    packet = decode_packet(data, V311)
    data[-1] = ord("z")
    assert packet.payload == b"abc"
    assert type(packet.payload) is bytes


def test_too_long_topic_is_a_local_error() -> None:
    with pytest.raises(ValueError, match="65535"):
        encode_publish("x" * 70_000, b"", 0, False, False, None, None, V311)


@pytest.mark.parametrize("payload", [b"21.4", b"p" * 200, b""])
def test_plain_publish_is_what_encode_publish_gives_for_qos0_without_flags(payload: bytes) -> None:
    """encode_plain_publish is the 3.1.1 QoS 0 fast path: same bytes, including 2-byte remaining lengths."""
    expected = encode_publish("é/t", payload, 0, False, False, None, None, V311)
    assert encode_plain_publish("é/t", payload) == expected
    assert encode_plain_publish("é/t", payload) == expected  # second call: the cached topic field


def test_topic_field_cache_is_bounded() -> None:
    for n in range(publish_codec.TOPIC_FIELD_CACHE_SIZE + 10):
        encode_plain_publish(f"bounded/{n}", b"")
    assert len(publish_codec._topic_fields) <= publish_codec.TOPIC_FIELD_CACHE_SIZE
    assert decode_packet(encode_plain_publish("bounded/1", b"v"), V311) == Publish("bounded/1", b"v")
