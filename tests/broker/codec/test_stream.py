"""StreamDecoder: framing across chunk boundaries, size limits, and the CONNECT-first rule."""

from __future__ import annotations

import pytest

from broker.codec import (
    Connect,
    MalformedPacket,
    PacketTooLarge,
    PingReq,
    Properties,
    ProtocolError,
    ProtocolVersion,
    PubAck,
    Publish,
    ReasonCode,
    StreamDecoder,
    decode_packet,
    encode,
)

V311 = ProtocolVersion.V311
CONNECT = encode(Connect(client_id="stream"), V311)


def connected_decoder(version: ProtocolVersion = V311) -> StreamDecoder:
    decoder = StreamDecoder()
    decoder.feed(encode(Connect(client_id="stream"), version))
    return decoder


def test_connect_sets_the_protocol_version() -> None:
    decoder = StreamDecoder()
    assert decoder.protocol_version is None
    decoder.feed(encode(Connect(client_id="x"), ProtocolVersion.V5))
    assert decoder.protocol_version is ProtocolVersion.V5


def test_packets_fed_one_byte_at_a_time() -> None:
    publishes = [Publish(f"t/{n}", bytes([n]) * 200, 1, False, False, n + 1) for n in range(3)]
    stream = CONNECT + b"".join(encode(packet, V311) for packet in publishes)
    decoder = StreamDecoder()
    received = []
    for index in range(len(stream)):
        received += decoder.feed(stream[index : index + 1])
    assert received[1:] == publishes
    assert decoder.buffered_bytes == 0


def test_many_packets_in_one_chunk_keep_their_order() -> None:
    publishes = [Publish("a/b", str(n).encode()) for n in range(500)]
    chunk = CONNECT + b"".join(encode(packet, V311) for packet in publishes) + b"\xc0\x00"
    packets = StreamDecoder().feed(chunk)
    assert packets[1:-1] == publishes
    assert isinstance(packets[-1], PingReq)


def test_a_split_fixed_header_waits_for_the_rest() -> None:
    """A remaining length split after its first byte must not be read as complete."""
    decoder = connected_decoder()
    packet = Publish("t", b"x" * 300)
    data = encode(packet, V311)
    assert data[1] & 0x80  # two-byte remaining length
    assert decoder.feed(data[:2]) == []
    assert decoder.feed(data[2:]) == [packet]


def test_buffer_keeps_only_the_incomplete_tail() -> None:
    decoder = connected_decoder()
    data = encode(Publish("t", b"payload"), V311)
    assert decoder.feed(data + data[:4]) == [Publish("t", b"payload")]
    assert decoder.buffered_bytes == 4
    assert decoder.feed(data[4:]) == [Publish("t", b"payload")]
    assert decoder.buffered_bytes == 0


def test_declared_256_megabytes_is_not_allocated() -> None:
    """A huge remaining length with a few bytes behind it costs only those bytes."""
    decoder = connected_decoder()
    header = bytes.fromhex("30 ff ff ff 7f")  # remaining length 268,435,455
    assert decoder.feed(header + b"\x00\x01a") == []
    assert decoder.buffered_bytes == len(header) + 3
    assert decoder.feed(b"more") == []
    assert decoder.buffered_bytes == len(header) + 7


def test_oversize_packet_is_rejected_as_soon_as_its_header_is_complete() -> None:
    decoder = connected_decoder()
    decoder.max_packet_size = 1024
    with pytest.raises(PacketTooLarge) as caught:
        decoder.feed(bytes.fromhex("30 ff ff 03"))  # declares 65,535 bytes, none sent
    assert caught.value.reason_code == ReasonCode.PACKET_TOO_LARGE
    assert (caught.value.size, caught.value.limit) == (65_535 + 4, 1024)


def test_packet_exactly_at_the_limit_is_accepted() -> None:
    data = encode(Publish("t", b"x" * 100), V311)
    decoder = StreamDecoder(max_packet_size=len(data), protocol_version=V311)
    assert decoder.feed(data) == [Publish("t", b"x" * 100)]
    decoder.max_packet_size = len(data) - 1
    with pytest.raises(PacketTooLarge):
        decoder.feed(data)


def test_packets_before_a_bad_one_are_not_lost() -> None:
    """The engine can still route what arrived before the malformed packet."""
    good = Publish("t", b"kept")
    decoder = connected_decoder()
    with pytest.raises(MalformedPacket) as caught:
        decoder.feed(encode(good, V311) + bytes.fromhex("36 07 0001 61 0001 6869"))
    assert caught.value.decoded_before == [good]


def test_garbage_first_byte_is_rejected_without_waiting_for_more() -> None:
    with pytest.raises(ProtocolError) as caught:
        StreamDecoder().feed(b"G")  # "GET / HTTP/1.1" sent to the MQTT port
    assert caught.value.spec_id == "MQTT-3.1.0-1"


def test_client_side_decoder_accepts_server_packets() -> None:
    decoder = StreamDecoder(protocol_version=ProtocolVersion.V5)
    assert decoder.feed(bytes.fromhex("20 03 00 00 00 d0 00"))[0].reason_code == 0


def test_bytearray_and_memoryview_input() -> None:
    data = bytearray(CONNECT)
    packets = StreamDecoder().feed(memoryview(data))
    data[:] = b"\x00" * len(data)  # the caller reuses its buffer
    assert packets[0].client_id == "stream"


def test_decode_packet_needs_exactly_one_packet() -> None:
    assert decode_packet(b"\xc0\x00", V311) == PingReq()
    with pytest.raises(MalformedPacket):
        decode_packet(b"\xc0\x00\xc0\x00", V311)
    with pytest.raises(MalformedPacket):
        decode_packet(b"\x30\x05\x00", V311)


def test_oversize_is_caught_when_the_header_arrives_in_pieces() -> None:
    decoder = connected_decoder()
    decoder.max_packet_size = 1024
    assert decoder.feed(bytes.fromhex("30 ff")) == []
    assert decoder.feed(bytes.fromhex("ff")) == []  # the length is not known yet
    with pytest.raises(PacketTooLarge):
        decoder.feed(bytes.fromhex("03"))  # 65,535 declared: refused before any of it arrives


@pytest.mark.parametrize("version", [ProtocolVersion.V31, V311])
@pytest.mark.parametrize("payload", [b"21.5", b"x" * 200, b"y" * 20_000])
def test_plain_qos0_publish_keeps_its_received_bytes(version, payload):
    """A QoS 0 PUBLISH without RETAIN/DUP keeps its bytes: exactly what the encoder would produce."""
    from broker.codec.publish import encode_plain_publish

    data = encode(Publish("sensors/t", payload), version)
    (packet,) = StreamDecoder(protocol_version=version).feed(data)
    assert packet.raw == data == encode_plain_publish("sensors/t", payload)


@pytest.mark.parametrize(
    ("version", "packet"),
    [
        (V311, Publish("t", b"v", qos=1, packet_id=1)),
        (V311, Publish("t", b"v", retain=True)),
        (ProtocolVersion.V5, Publish("t", b"v")),
    ],
)
def test_other_publishes_carry_no_raw_bytes(version, packet):
    (decoded,) = StreamDecoder(protocol_version=version).feed(encode(packet, version))
    assert decoded.raw is None and decoded == packet


def test_non_minimal_remaining_length_is_not_kept_as_raw():
    """Remaining Length 5 sent in two bytes (0x85 0x00): decoded, but re-encoded for subscribers."""
    data = b"\x30\x85\x00\x00\x01tv1"
    (packet,) = StreamDecoder(protocol_version=V311).feed(data)
    assert packet.topic == "t" and packet.payload == b"v1"
    assert packet.raw is None


V5 = ProtocolVersion.V5


@pytest.mark.parametrize("version", [V311, V5])
def test_raw_mode_hands_plain_publishes_over_as_their_bytes(version):
    """With fast_forms, a plain QoS 0 or QoS 1 PUBLISH is its own bytes (MQTT 5: with its empty
    property list); other packets in the same chunk decode as usual and keep their order."""
    plain = encode(Publish("s/t", b"21.5"), version)
    qos1 = encode(Publish("s/t", b"q", qos=1, packet_id=9), version)
    qos2 = encode(Publish("s/t", b"q", qos=2, packet_id=9), version)
    decoder = StreamDecoder(protocol_version=version, fast_forms=True)
    first, second, third, fourth = decoder.feed(plain + qos1 + qos2 + plain)
    assert first == fourth == plain and second == qos1
    assert isinstance(third, Publish) and third.packet_id == 9


@pytest.mark.parametrize(
    ("version", "data"),
    [
        (V5, encode(Publish("t", b"v", properties=Properties(content_type="a")), V5)),  # properties
        (V311, encode(Publish("t", b"v", retain=True), V311)),  # RETAIN [MQTT-3.3.1-5]
        (V311, encode(Publish("t", b"v", 1, dup=True, packet_id=3), V311)),  # DUP: a resend
        (V5, encode(Publish("t", b"v", 1, packet_id=3, properties=Properties(content_type="a")), V5)),
        (V311, b"\x30\x85\x00\x00\x01tv1"),  # non-minimal Remaining Length
    ],
)
def test_raw_mode_decodes_everything_that_is_not_plain(version, data):
    (packet,) = StreamDecoder(protocol_version=version, fast_forms=True).feed(data)
    assert isinstance(packet, Publish) and packet.topic == "t"


def test_raw_mode_leaves_an_empty_topic_to_the_full_decoder():
    """MQTT 5 empty topic without a Topic Alias: a protocol error [MQTT5 3.3.2.3.4], not bytes to forward."""
    decoder = StreamDecoder(protocol_version=V5, fast_forms=True)
    with pytest.raises(ProtocolError):
        decoder.feed(bytes.fromhex("30 04 0000 00") + b"v")


def test_raw_mode_leaves_a_topic_past_the_end_to_the_full_decoder():
    """Topic length 9 in a 4-byte body: malformed [MQTT-3.3.2-1], never handed over as bytes."""
    decoder = StreamDecoder(protocol_version=V311, fast_forms=True)
    with pytest.raises(MalformedPacket):
        decoder.feed(bytes.fromhex("30 04 0009 6162"))


@pytest.mark.parametrize("version", [V311, V5])
def test_fast_forms_hand_a_plain_puback_over_as_its_packet_id(version):
    """``40 02 id id`` means success in every version [MQTT5 3.4.2.1]: the decoder gives the id only."""
    decoder = StreamDecoder(protocol_version=version, fast_forms=True)
    assert decoder.feed(bytes.fromhex("40 02 1234")) == [0x1234]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (bytes.fromhex("40 03 0007 10"), PubAck(7, 0x10)),  # a reason code: the record
        (bytes.fromhex("40 02 0000"), None),  # packet id 0 [MQTT-2.3.1-1]: the full decoder refuses it
    ],
)
def test_other_pubacks_take_the_full_decoder(data, expected):
    decoder = StreamDecoder(protocol_version=V5, fast_forms=True)
    if expected is None:
        with pytest.raises(MalformedPacket):
            decoder.feed(data)
    else:
        assert decoder.feed(data) == [expected]


def test_raw_mode_leaves_a_qos1_packet_id_zero_to_the_full_decoder():
    """A QoS 1 PUBLISH needs a non-zero packet identifier [MQTT-2.3.1-1]."""
    decoder = StreamDecoder(protocol_version=V311, fast_forms=True)
    with pytest.raises(MalformedPacket):
        decoder.feed(bytes.fromhex("32 06 0001 74 0000") + b"v")
