"""Hypothesis strategies that generate valid packets for a protocol version."""

from __future__ import annotations

import functools
import os
from typing import Any

from hypothesis import strategies as st

from broker.codec import (
    Auth,
    ConnAck,
    Connect,
    Disconnect,
    Packet,
    PacketType,
    PingReq,
    PingResp,
    Properties,
    ProtocolVersion,
    PubAck,
    PubComp,
    Publish,
    PubRec,
    PubRel,
    SubAck,
    Subscribe,
    SubscriptionRequest,
    UnsubAck,
    Unsubscribe,
    Will,
)
from broker.codec.packet_types import WILL_PROPERTIES
from broker.codec.properties import PROPERTY_SPECS, Kind, PropertySpec
from broker.codec.reason_codes import ALLOWED_REASON_CODES, SUBACK_RETURN_CODES_V311

# Bounded by default; CI or a long local run can raise it: PERCH_FUZZ_EXAMPLES=5000.
FUZZ_EXAMPLES = int(os.environ.get("PERCH_FUZZ_EXAMPLES", "300"))

V5 = ProtocolVersion.V5
texts = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)
topic_names = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00+#"), min_size=1, max_size=12
)
small_binary = st.binary(max_size=12)
packet_ids = st.integers(1, 0xFFFF)

_VALUES: dict[Kind, st.SearchStrategy[Any]] = {
    Kind.BYTE: st.integers(0, 255),
    Kind.UINT16: st.integers(0, 0xFFFF),
    Kind.UINT32: st.integers(0, 0xFFFFFFFF),
    Kind.VARINT: st.integers(1, 268_435_455),
    Kind.STRING: texts,
    Kind.BINARY: small_binary,
    Kind.STRING_PAIR: st.tuples(texts, texts),
}


def _value_strategy(spec: PropertySpec, context: int) -> st.SearchStrategy[Any]:
    if spec.boolean:
        value = st.integers(0, 1)
    elif spec.forbidden_zero:
        value = _VALUES[spec.kind].filter(bool)
    else:
        value = _VALUES[spec.kind]
    if spec.name in ("user_properties", "subscription_identifiers"):
        return st.lists(value, max_size=3 if context in spec.repeatable_in else 1)
    return value


@functools.cache
def properties_for(context: int) -> st.SearchStrategy[Properties]:
    optional = {
        spec.name: _value_strategy(spec, context)
        for spec in PROPERTY_SPECS.values()
        if context in spec.allowed_in
    }
    return st.fixed_dictionaries({}, optional=optional).map(lambda values: Properties(**values))


def _props(version: ProtocolVersion, context: int) -> st.SearchStrategy[Properties]:
    return properties_for(context) if version == V5 else st.just(Properties())


def _reason(version: ProtocolVersion, packet_type: int) -> st.SearchStrategy[int]:
    if version != V5:
        return st.just(0)
    return st.sampled_from(sorted(ALLOWED_REASON_CODES[packet_type]))


def _without_orphan_authentication_data(properties: Properties) -> Properties:
    """Authentication Data without an Authentication Method is a Protocol Error (MQTT5 3.1.2.11.10)."""
    if properties.authentication_method is None:
        properties.authentication_data = None
    return properties


def connects(version: ProtocolVersion) -> st.SearchStrategy[Connect]:
    wills = st.builds(
        Will, topic_names, small_binary, st.integers(0, 2), st.booleans(), _props(version, WILL_PROPERTIES)
    )
    usernames = st.none() | texts
    passwords = st.none() | small_binary
    name = "MQIsdp" if version == ProtocolVersion.V31 else "MQTT"
    return st.builds(
        lambda will, user, password, **fields: Connect(
            name,
            version,
            will=will,
            username=user,
            password=None if user is None and version != V5 else password,
            **fields,
        ),
        st.none() | wills,
        usernames,
        passwords,
        clean_start=st.booleans(),
        keep_alive=st.integers(0, 0xFFFF),
        client_id=texts,
        properties=_props(version, PacketType.CONNECT).map(_without_orphan_authentication_data),
        is_bridge=st.booleans(),
    )


def publishes(version: ProtocolVersion) -> st.SearchStrategy[Publish]:
    def build(
        topic: str, payload: bytes, qos: int, retain: bool, dup: bool, pid: int, props: Properties
    ) -> Publish:
        return Publish(topic, payload, qos, retain, dup and qos > 0, pid if qos else None, props)

    return st.builds(
        build,
        topic_names,
        st.binary(max_size=300),
        st.integers(0, 2),
        st.booleans(),
        st.booleans(),
        packet_ids,
        _props(version, PacketType.PUBLISH),
    )


def _subscription_requests(version: ProtocolVersion) -> st.SearchStrategy[SubscriptionRequest]:
    if version != V5:
        return st.builds(SubscriptionRequest, texts, st.integers(0, 2))
    return st.builds(
        SubscriptionRequest, texts, st.integers(0, 2), st.booleans(), st.booleans(), st.integers(0, 2)
    )


def _acks(cls: type, version: ProtocolVersion) -> st.SearchStrategy[Packet]:
    packet_type = cls.packet_type  # type: ignore[attr-defined]
    return st.builds(cls, packet_ids, _reason(version, packet_type), _props(version, packet_type))


def _subscription_packets(version: ProtocolVersion) -> list[st.SearchStrategy[Packet]]:
    suback_codes = sorted(
        ALLOWED_REASON_CODES[PacketType.SUBACK] if version == V5 else SUBACK_RETURN_CODES_V311
    )
    unsuback_codes = sorted(ALLOWED_REASON_CODES[PacketType.UNSUBACK])
    return [
        st.builds(
            Subscribe,
            packet_ids,
            st.lists(_subscription_requests(version), min_size=1, max_size=4),
            _props(version, PacketType.SUBSCRIBE),
        ),
        st.builds(
            SubAck,
            packet_ids,
            st.lists(st.sampled_from(suback_codes), min_size=1, max_size=4),
            _props(version, PacketType.SUBACK),
        ),
        st.builds(
            Unsubscribe,
            packet_ids,
            st.lists(texts, min_size=1, max_size=4),
            _props(version, PacketType.UNSUBSCRIBE),
        ),
        st.builds(
            UnsubAck,
            packet_ids,
            st.lists(st.sampled_from(unsuback_codes), min_size=1, max_size=4)
            if version == V5
            else st.just([]),
            _props(version, PacketType.UNSUBACK),
        ),
    ]


@functools.cache
def packets(version: ProtocolVersion) -> st.SearchStrategy[Packet]:
    """Any packet type that exists in `version`, with valid contents."""
    choices = [
        connects(version),
        st.builds(
            ConnAck,
            st.booleans() if version != ProtocolVersion.V31 else st.just(False),
            _reason(version, PacketType.CONNACK) if version == V5 else st.integers(0, 5),
            _props(version, PacketType.CONNACK),
        ),
        publishes(version),
        *(_acks(cls, version) for cls in (PubAck, PubRec, PubRel, PubComp)),
        *_subscription_packets(version),
        st.just(PingReq()),
        st.just(PingResp()),
        st.builds(
            Disconnect, _reason(version, PacketType.DISCONNECT), _props(version, PacketType.DISCONNECT)
        ),
    ]
    if version == V5:
        choices.append(st.builds(Auth, _reason(version, PacketType.AUTH), _props(version, PacketType.AUTH)))
    return st.one_of(choices)
