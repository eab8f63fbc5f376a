"""MQTT 5 properties: the shared empty instance, and the property section codec."""

from __future__ import annotations

import pytest

from broker.codec import EMPTY_PROPERTIES, MalformedPacket, PacketType, Properties, ReasonCode
from broker.codec.packet_types import WILL_PROPERTIES
from broker.codec.properties import PROPERTY_SPECS, PropertyId
from broker.codec.property_codec import decode_properties, encode_properties


def decode(hex_text: str, context: int = PacketType.PUBLISH) -> Properties:
    data = bytes.fromhex(hex_text)
    properties, end = decode_properties(data, 0, len(data), context)
    assert end == len(data)
    return properties


def test_empty_properties_cannot_be_changed() -> None:
    with pytest.raises(AttributeError):
        EMPTY_PROPERTIES.topic_alias = 3
    with pytest.raises(AttributeError):
        EMPTY_PROPERTIES.user_properties.append(("a", "b"))  # type: ignore[attr-defined]
    assert EMPTY_PROPERTIES.is_empty()
    assert Properties() == EMPTY_PROPERTIES


def test_copy_gives_an_independent_mutable_instance() -> None:
    original = Properties(user_properties=[("a", "1")], subscription_identifiers=[4])
    copy = original.copy()
    copy.user_properties.append(("b", "2"))
    copy.subscription_identifiers.clear()
    copy.topic_alias = 2
    assert original == Properties(user_properties=[("a", "1")], subscription_identifiers=[4])
    assert EMPTY_PROPERTIES.copy() == Properties()


def test_zero_valued_property_is_present() -> None:
    assert not Properties(session_expiry_interval=0).is_empty()
    assert encode_properties(Properties(session_expiry_interval=0)) == bytes.fromhex("05 11 00000000")


def test_repr_lists_only_present_properties() -> None:
    assert repr(Properties(topic_alias=3)) == "Properties(topic_alias=3)"


def test_every_property_id_has_a_spec_row() -> None:
    assert set(PROPERTY_SPECS) == set(PropertyId)
    assert len(PropertyId) == 27


def test_encoding_follows_identifier_order() -> None:
    properties = Properties(user_properties=[("k", "v")], payload_format_indicator=1, content_type="a")
    assert encode_properties(properties) == bytes.fromhex("0d 01 01 03 0001 61 26 0001 6b 0001 76")


def test_subscription_identifiers_repeat_in_publish() -> None:
    """A server may forward one PUBLISH with several subscription identifiers [MQTT-3.3.4-3]."""
    assert decode("04 0b 01 0b 7f").subscription_identifiers == [1, 127]


def test_will_properties_context() -> None:
    assert decode("05 18 0000003c", WILL_PROPERTIES).will_delay_interval == 60
    with pytest.raises(MalformedPacket) as caught:
        decode("05 18 0000003c", PacketType.PUBLISH)
    assert caught.value.reason_code == ReasonCode.PROTOCOL_ERROR


@pytest.mark.parametrize(
    ("hex_text", "context"),
    [
        ("03 21 0000", PacketType.CONNECT),  # receive maximum 0
        ("05 27 00000000", PacketType.CONNECT),  # maximum packet size 0
        ("02 24 02", PacketType.CONNACK),  # maximum QoS 2 is expressed by leaving it out
        ("02 19 02", PacketType.CONNECT),  # request response information 2
        ("06 11 00000001 11", PacketType.CONNECT),  # truncated duplicate is still caught first as overrun
        ("0a 11 00000001 11 00000002", PacketType.CONNECT),  # session expiry twice
        ("04 1f 0000 1f", PacketType.PUBACK),  # reason string overruns the section
    ],
)
def test_invalid_property_sections(hex_text: str, context: int) -> None:
    with pytest.raises(MalformedPacket):
        decode(hex_text, context)


def test_user_property_strings_are_checked() -> None:
    with pytest.raises(MalformedPacket) as caught:
        decode("07 26 0001 00 0001 61")
    assert caught.value.spec_id == "MQTT-1.5.3-2"
