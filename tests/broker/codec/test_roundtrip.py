"""encode then decode gives back the same packet: every packet type in every version it exists in."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broker.codec import (
    Auth,
    ConnAck,
    Connect,
    Disconnect,
    Packet,
    PingReq,
    PingResp,
    Properties,
    ProtocolVersion,
    PubAck,
    PubComp,
    Publish,
    PubRec,
    PubRel,
    ReasonCode,
    SubAck,
    Subscribe,
    SubscriptionRequest,
    UnsubAck,
    Unsubscribe,
    Will,
    decode_packet,
    encode,
)
from tests.broker.codec.strategies import FUZZ_EXAMPLES, packets

V31, V311, V5 = ProtocolVersion.V31, ProtocolVersion.V311, ProtocolVersion.V5


def roundtrip(packet: Packet, version: ProtocolVersion) -> Packet:
    data = encode(packet, version)
    if isinstance(packet, Connect):
        return decode_packet(data)
    return decode_packet(data, version)


def connects(version: ProtocolVersion) -> list[Packet]:
    will_props = (
        Properties(will_delay_interval=3, content_type="text/plain") if version == V5 else Properties()
    )
    connect_props = (
        Properties(session_expiry_interval=60, receive_maximum=10) if version == V5 else Properties()
    )
    name = "MQIsdp" if version == V31 else "MQTT"
    will = Will("w/t", b"\x00gone", 2, True, will_props)
    return [
        Connect(name, version, False, 0, "client-é", will, "user", b"\xff"),
        Connect(name, version, True, 65535, "", None, None, None, connect_props),
    ]


def every_packet_type(version: ProtocolVersion) -> list[Packet]:
    """One packet of each type, as full as the version allows."""
    is_v5 = version == V5
    props = (
        Properties(reason_string="why", user_properties=[("k", "v"), ("k", "v2")]) if is_v5 else Properties()
    )
    packets: list[Packet] = [
        *connects(version),
        ConnAck(
            version != V31, 0, Properties(assigned_client_identifier="auto-1") if is_v5 else Properties()
        ),
        Publish(
            "a/b/c",
            b"\x00" * 1000,
            2,
            True,
            True,
            65535,
            Properties(message_expiry_interval=9) if is_v5 else props,
        ),
        PubAck(1, ReasonCode.NO_MATCHING_SUBSCRIBERS if is_v5 else 0, props),
        PubRec(2, ReasonCode.QUOTA_EXCEEDED if is_v5 else 0, props),
        PubRel(3, ReasonCode.PACKET_IDENTIFIER_NOT_FOUND if is_v5 else 0, props),
        PubComp(4, 0, props),
        Subscribe(5, [SubscriptionRequest("a/+", 1), SubscriptionRequest("$share/g/#", 2)]),
        SubAck(6, [0, 1, 2, 0x80]),
        Unsubscribe(7, ["a/+", "b"]),
        UnsubAck(8, [0, 0x11] if is_v5 else []),
        PingReq(),
        PingResp(),
        Disconnect(ReasonCode.DISCONNECT_WITH_WILL if is_v5 else 0, props),
    ]
    if is_v5:
        packets.append(Auth(ReasonCode.CONTINUE_AUTHENTICATION, Properties(authentication_method="SCRAM")))
    return packets


CASES = [(version, packet) for version in ProtocolVersion for packet in every_packet_type(version)]


@pytest.mark.parametrize(("version", "packet"), CASES, ids=[f"{v.name}-{type(p).__name__}" for v, p in CASES])
def test_every_packet_type_round_trips(version: ProtocolVersion, packet: Packet) -> None:
    assert roundtrip(packet, version) == packet


def test_fifteen_packet_types_are_covered() -> None:
    assert len({type(packet) for packet in every_packet_type(V5)}) == 15


@pytest.mark.parametrize("version", list(ProtocolVersion), ids=lambda version: version.name)
@settings(max_examples=max(FUZZ_EXAMPLES // 3, 50), deadline=None)
@given(data=st.data())
def test_generated_packets_round_trip(version: ProtocolVersion, data: st.DataObject) -> None:
    packet = data.draw(packets(version))
    assert roundtrip(packet, version) == packet


def test_auth_cannot_be_encoded_before_mqtt5() -> None:
    with pytest.raises(ValueError, match="MQTT 5"):
        encode(Auth(), V311)


def test_encode_rejects_a_non_packet() -> None:
    with pytest.raises(TypeError):
        encode("PINGREQ", V311)  # type: ignore[arg-type]
