"""MQTT 5 properties (section 2.2.2): identifiers, the `Properties` record, and where each may appear.

`EMPTY_PROPERTIES` is one shared, read-only instance used for every decoded packet that carries no
properties (all 3.1/3.1.1 packets), so the hot path allocates nothing for them. Call `.copy()` to get a
mutable instance before changing anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import IntEnum
from typing import Any

from broker.codec.packet_types import WILL_PROPERTIES, PacketType


class PropertyId(IntEnum):
    PAYLOAD_FORMAT_INDICATOR = 0x01
    MESSAGE_EXPIRY_INTERVAL = 0x02
    CONTENT_TYPE = 0x03
    RESPONSE_TOPIC = 0x08
    CORRELATION_DATA = 0x09
    SUBSCRIPTION_IDENTIFIER = 0x0B
    SESSION_EXPIRY_INTERVAL = 0x11
    ASSIGNED_CLIENT_IDENTIFIER = 0x12
    SERVER_KEEP_ALIVE = 0x13
    AUTHENTICATION_METHOD = 0x15
    AUTHENTICATION_DATA = 0x16
    REQUEST_PROBLEM_INFORMATION = 0x17
    WILL_DELAY_INTERVAL = 0x18
    REQUEST_RESPONSE_INFORMATION = 0x19
    RESPONSE_INFORMATION = 0x1A
    SERVER_REFERENCE = 0x1C
    REASON_STRING = 0x1F
    RECEIVE_MAXIMUM = 0x21
    TOPIC_ALIAS_MAXIMUM = 0x22
    TOPIC_ALIAS = 0x23
    MAXIMUM_QOS = 0x24
    RETAIN_AVAILABLE = 0x25
    USER_PROPERTY = 0x26
    MAXIMUM_PACKET_SIZE = 0x27
    WILDCARD_SUBSCRIPTION_AVAILABLE = 0x28
    SUBSCRIPTION_IDENTIFIER_AVAILABLE = 0x29
    SHARED_SUBSCRIPTION_AVAILABLE = 0x2A


class Kind(IntEnum):
    """How a property's value is represented on the wire (section 1.5)."""

    BYTE = 1
    UINT16 = 2
    UINT32 = 3
    VARINT = 4
    STRING = 5
    BINARY = 6
    STRING_PAIR = 7


@dataclass(slots=True, eq=False, repr=False)
class Properties:
    """MQTT 5 properties of one packet or will; None (or an empty list) means absent."""

    payload_format_indicator: int | None = None
    message_expiry_interval: int | None = None
    content_type: str | None = None
    response_topic: str | None = None
    correlation_data: bytes | None = None
    subscription_identifiers: list[int] = field(default_factory=list)
    session_expiry_interval: int | None = None
    assigned_client_identifier: str | None = None
    server_keep_alive: int | None = None
    authentication_method: str | None = None
    authentication_data: bytes | None = None
    request_problem_information: int | None = None
    will_delay_interval: int | None = None
    request_response_information: int | None = None
    response_information: str | None = None
    server_reference: str | None = None
    reason_string: str | None = None
    receive_maximum: int | None = None
    topic_alias_maximum: int | None = None
    topic_alias: int | None = None
    maximum_qos: int | None = None
    retain_available: int | None = None
    user_properties: list[tuple[str, str]] = field(default_factory=list)
    maximum_packet_size: int | None = None
    wildcard_subscription_available: int | None = None
    subscription_identifier_available: int | None = None
    shared_subscription_available: int | None = None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Properties):
            return NotImplemented
        return _values(self) == _values(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        present = (
            f"{name}={getattr(self, name)!r}" for name in FIELD_NAMES if _is_present(getattr(self, name))
        )
        return f"Properties({', '.join(present)})"

    def is_empty(self) -> bool:
        """True when no property is present (encodes as a single zero length byte)."""
        if self is EMPTY_PROPERTIES:
            return True
        return all(getattr(self, name) is None for name in _SCALAR_NAMES) and not (
            self.subscription_identifiers or self.user_properties
        )

    def copy(self) -> Properties:
        """A mutable copy with its own lists (the way to change a decoded packet's properties)."""
        values = {name: getattr(self, name) for name in FIELD_NAMES}
        values["subscription_identifiers"] = list(self.subscription_identifiers)
        values["user_properties"] = list(self.user_properties)
        return Properties(**values)


FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Properties))
_SCALAR_NAMES = tuple(
    name for name in FIELD_NAMES if name not in ("subscription_identifiers", "user_properties")
)


def _is_present(value: object) -> bool:
    return value is not None and value != [] and value != ()


def _values(properties: Properties) -> tuple[Any, ...]:
    return tuple(
        (list(value) if isinstance(value, tuple | list) else value)
        for value in (getattr(properties, name) for name in FIELD_NAMES)
    )


class _ReadOnlyProperties(Properties):
    """The shared empty instance: assignments raise and its lists are tuples, so it cannot be changed."""

    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("EMPTY_PROPERTIES is shared and read-only: use properties.copy()")


def _make_empty() -> Properties:
    empty = object.__new__(_ReadOnlyProperties)
    for name in FIELD_NAMES:
        object.__setattr__(empty, name, None)
    object.__setattr__(empty, "subscription_identifiers", ())
    object.__setattr__(empty, "user_properties", ())
    return empty


EMPTY_PROPERTIES: Properties = _make_empty()

_P = PacketType
_W = WILL_PROPERTIES
_ACKS = (_P.PUBACK, _P.PUBREC, _P.PUBREL, _P.PUBCOMP)


@dataclass(frozen=True, slots=True)
class PropertySpec:
    """One row of the spec's property table (section 2.2.2.2)."""

    id: PropertyId
    name: str
    kind: Kind
    allowed_in: frozenset[int]
    # Which packet types may carry it more than once (user property: all; subscription id: PUBLISH).
    repeatable_in: frozenset[int] = frozenset()
    # Values outside this set are a protocol error, e.g. Receive Maximum 0.
    forbidden_zero: bool = False
    boolean: bool = False


def _spec(pid: PropertyId, name: str, kind: Kind, allowed: tuple[int, ...], **extra: Any) -> PropertySpec:
    return PropertySpec(pid, name, kind, frozenset(allowed), **extra)


_ALL_WITH_USER = (_P.CONNECT, _P.CONNACK, _P.PUBLISH, _W, *_ACKS, _P.SUBSCRIBE, _P.SUBACK, _P.UNSUBSCRIBE)
PROPERTY_SPECS: dict[int, PropertySpec] = {
    spec.id: spec
    for spec in (
        _spec(
            PropertyId.PAYLOAD_FORMAT_INDICATOR,
            "payload_format_indicator",
            Kind.BYTE,
            (_P.PUBLISH, _W),
            boolean=True,
        ),
        _spec(PropertyId.MESSAGE_EXPIRY_INTERVAL, "message_expiry_interval", Kind.UINT32, (_P.PUBLISH, _W)),
        _spec(PropertyId.CONTENT_TYPE, "content_type", Kind.STRING, (_P.PUBLISH, _W)),
        _spec(PropertyId.RESPONSE_TOPIC, "response_topic", Kind.STRING, (_P.PUBLISH, _W)),
        _spec(PropertyId.CORRELATION_DATA, "correlation_data", Kind.BINARY, (_P.PUBLISH, _W)),
        _spec(
            PropertyId.SUBSCRIPTION_IDENTIFIER,
            "subscription_identifiers",
            Kind.VARINT,
            (_P.PUBLISH, _P.SUBSCRIBE),
            repeatable_in=frozenset({_P.PUBLISH}),
            forbidden_zero=True,
        ),
        _spec(
            PropertyId.SESSION_EXPIRY_INTERVAL,
            "session_expiry_interval",
            Kind.UINT32,
            (_P.CONNECT, _P.CONNACK, _P.DISCONNECT),
        ),
        _spec(
            PropertyId.ASSIGNED_CLIENT_IDENTIFIER, "assigned_client_identifier", Kind.STRING, (_P.CONNACK,)
        ),
        _spec(PropertyId.SERVER_KEEP_ALIVE, "server_keep_alive", Kind.UINT16, (_P.CONNACK,)),
        _spec(
            PropertyId.AUTHENTICATION_METHOD,
            "authentication_method",
            Kind.STRING,
            (_P.CONNECT, _P.CONNACK, _P.AUTH),
        ),
        _spec(
            PropertyId.AUTHENTICATION_DATA,
            "authentication_data",
            Kind.BINARY,
            (_P.CONNECT, _P.CONNACK, _P.AUTH),
        ),
        _spec(
            PropertyId.REQUEST_PROBLEM_INFORMATION,
            "request_problem_information",
            Kind.BYTE,
            (_P.CONNECT,),
            boolean=True,
        ),
        _spec(PropertyId.WILL_DELAY_INTERVAL, "will_delay_interval", Kind.UINT32, (_W,)),
        _spec(
            PropertyId.REQUEST_RESPONSE_INFORMATION,
            "request_response_information",
            Kind.BYTE,
            (_P.CONNECT,),
            boolean=True,
        ),
        _spec(PropertyId.RESPONSE_INFORMATION, "response_information", Kind.STRING, (_P.CONNACK,)),
        _spec(PropertyId.SERVER_REFERENCE, "server_reference", Kind.STRING, (_P.CONNACK, _P.DISCONNECT)),
        _spec(
            PropertyId.REASON_STRING,
            "reason_string",
            Kind.STRING,
            (_P.CONNACK, *_ACKS, _P.SUBACK, _P.UNSUBACK, _P.DISCONNECT, _P.AUTH),
        ),
        _spec(
            PropertyId.RECEIVE_MAXIMUM,
            "receive_maximum",
            Kind.UINT16,
            (_P.CONNECT, _P.CONNACK),
            forbidden_zero=True,
        ),
        _spec(PropertyId.TOPIC_ALIAS_MAXIMUM, "topic_alias_maximum", Kind.UINT16, (_P.CONNECT, _P.CONNACK)),
        _spec(PropertyId.TOPIC_ALIAS, "topic_alias", Kind.UINT16, (_P.PUBLISH,), forbidden_zero=True),
        _spec(PropertyId.MAXIMUM_QOS, "maximum_qos", Kind.BYTE, (_P.CONNACK,), boolean=True),
        _spec(PropertyId.RETAIN_AVAILABLE, "retain_available", Kind.BYTE, (_P.CONNACK,), boolean=True),
        _spec(
            PropertyId.USER_PROPERTY,
            "user_properties",
            Kind.STRING_PAIR,
            (*_ALL_WITH_USER, _P.UNSUBACK, _P.DISCONNECT, _P.AUTH),
            repeatable_in=frozenset(range(16)),
        ),
        _spec(
            PropertyId.MAXIMUM_PACKET_SIZE,
            "maximum_packet_size",
            Kind.UINT32,
            (_P.CONNECT, _P.CONNACK),
            forbidden_zero=True,
        ),
        _spec(
            PropertyId.WILDCARD_SUBSCRIPTION_AVAILABLE,
            "wildcard_subscription_available",
            Kind.BYTE,
            (_P.CONNACK,),
            boolean=True,
        ),
        _spec(
            PropertyId.SUBSCRIPTION_IDENTIFIER_AVAILABLE,
            "subscription_identifier_available",
            Kind.BYTE,
            (_P.CONNACK,),
            boolean=True,
        ),
        _spec(
            PropertyId.SHARED_SUBSCRIPTION_AVAILABLE,
            "shared_subscription_available",
            Kind.BYTE,
            (_P.CONNACK,),
            boolean=True,
        ),
    )
}
