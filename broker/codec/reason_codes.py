"""Protocol levels, MQTT 5 reason codes and the MQTT 3.1.1 CONNACK return codes.

MQTT 5 gives several names to one value (0x00 is Success, Normal disconnection and Granted QoS 0), so
`ReasonCode` is a plain `IntEnum` with aliases: `ReasonCode.NORMAL_DISCONNECTION is ReasonCode.SUCCESS`.
"""

from __future__ import annotations

from enum import IntEnum


class ProtocolVersion(IntEnum):
    """The protocol level byte of CONNECT."""

    V31 = 3
    V311 = 4
    V5 = 5


class ReasonCode(IntEnum):
    """MQTT 5.0 reason codes (section 2.4), with the spec's names."""

    SUCCESS = 0x00
    NORMAL_DISCONNECTION = 0x00
    GRANTED_QOS_0 = 0x00
    GRANTED_QOS_1 = 0x01
    GRANTED_QOS_2 = 0x02
    DISCONNECT_WITH_WILL = 0x04
    NO_MATCHING_SUBSCRIBERS = 0x10
    NO_SUBSCRIPTION_EXISTED = 0x11
    CONTINUE_AUTHENTICATION = 0x18
    REAUTHENTICATE = 0x19
    UNSPECIFIED_ERROR = 0x80
    MALFORMED_PACKET = 0x81
    PROTOCOL_ERROR = 0x82
    IMPLEMENTATION_SPECIFIC_ERROR = 0x83
    UNSUPPORTED_PROTOCOL_VERSION = 0x84
    CLIENT_IDENTIFIER_NOT_VALID = 0x85
    BAD_USER_NAME_OR_PASSWORD = 0x86
    NOT_AUTHORIZED = 0x87
    SERVER_UNAVAILABLE = 0x88
    SERVER_BUSY = 0x89
    BANNED = 0x8A
    SERVER_SHUTTING_DOWN = 0x8B
    BAD_AUTHENTICATION_METHOD = 0x8C
    KEEP_ALIVE_TIMEOUT = 0x8D
    SESSION_TAKEN_OVER = 0x8E
    TOPIC_FILTER_INVALID = 0x8F
    TOPIC_NAME_INVALID = 0x90
    PACKET_IDENTIFIER_IN_USE = 0x91
    PACKET_IDENTIFIER_NOT_FOUND = 0x92
    RECEIVE_MAXIMUM_EXCEEDED = 0x93
    TOPIC_ALIAS_INVALID = 0x94
    PACKET_TOO_LARGE = 0x95
    MESSAGE_RATE_TOO_HIGH = 0x96
    QUOTA_EXCEEDED = 0x97
    ADMINISTRATIVE_ACTION = 0x98
    PAYLOAD_FORMAT_INVALID = 0x99
    RETAIN_NOT_SUPPORTED = 0x9A
    QOS_NOT_SUPPORTED = 0x9B
    USE_ANOTHER_SERVER = 0x9C
    SERVER_MOVED = 0x9D
    SHARED_SUBSCRIPTIONS_NOT_SUPPORTED = 0x9E
    CONNECTION_RATE_EXCEEDED = 0x9F
    MAXIMUM_CONNECT_TIME = 0xA0
    SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED = 0xA1
    WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED = 0xA2


class ConnectReturnCode(IntEnum):
    """MQTT 3.1 / 3.1.1 CONNACK return codes (3.1.1 section 3.2.2.3)."""

    ACCEPTED = 0
    UNACCEPTABLE_PROTOCOL_VERSION = 1
    IDENTIFIER_REJECTED = 2
    SERVER_UNAVAILABLE = 3
    BAD_USER_NAME_OR_PASSWORD = 4
    NOT_AUTHORIZED = 5


# 3.1.1 SUBACK return code for a refused subscription (v5 uses any reason code >= 0x80).
SUBACK_FAILURE_V311 = 0x80

_CONNACK_V5_TO_V311: dict[int, ConnectReturnCode] = {
    ReasonCode.SUCCESS: ConnectReturnCode.ACCEPTED,
    ReasonCode.UNSUPPORTED_PROTOCOL_VERSION: ConnectReturnCode.UNACCEPTABLE_PROTOCOL_VERSION,
    ReasonCode.CLIENT_IDENTIFIER_NOT_VALID: ConnectReturnCode.IDENTIFIER_REJECTED,
    ReasonCode.SERVER_UNAVAILABLE: ConnectReturnCode.SERVER_UNAVAILABLE,
    ReasonCode.SERVER_BUSY: ConnectReturnCode.SERVER_UNAVAILABLE,
    ReasonCode.SERVER_SHUTTING_DOWN: ConnectReturnCode.SERVER_UNAVAILABLE,
    ReasonCode.BAD_USER_NAME_OR_PASSWORD: ConnectReturnCode.BAD_USER_NAME_OR_PASSWORD,
    ReasonCode.BAD_AUTHENTICATION_METHOD: ConnectReturnCode.BAD_USER_NAME_OR_PASSWORD,
    ReasonCode.NOT_AUTHORIZED: ConnectReturnCode.NOT_AUTHORIZED,
    ReasonCode.BANNED: ConnectReturnCode.NOT_AUTHORIZED,
}


def connack_return_code(reason: int) -> ConnectReturnCode:
    """Map an MQTT 5 CONNACK reason code to the closest MQTT 3.1.1 return code.

    Values 1-5 are not MQTT 5 CONNACK reasons, so they are taken as 3.1.1 return codes already and
    passed through; any other refusal without a 3.1.1 equivalent becomes "server unavailable".
    """
    if 0 < reason <= ConnectReturnCode.NOT_AUTHORIZED:
        return ConnectReturnCode(reason)
    return _CONNACK_V5_TO_V311.get(reason, ConnectReturnCode.SERVER_UNAVAILABLE)


_R = ReasonCode
_ACK_REASONS = frozenset(
    {_R.SUCCESS, _R.NO_MATCHING_SUBSCRIBERS, _R.UNSPECIFIED_ERROR, _R.IMPLEMENTATION_SPECIFIC_ERROR}
    | {_R.NOT_AUTHORIZED, _R.TOPIC_NAME_INVALID, _R.PACKET_IDENTIFIER_IN_USE, _R.QUOTA_EXCEEDED}
    | {_R.PAYLOAD_FORMAT_INVALID}
)
_RELEASE_REASONS = frozenset({_R.SUCCESS, _R.PACKET_IDENTIFIER_NOT_FOUND})

# Which MQTT 5 reason codes each packet type may carry (the per-packet tables of chapter 3), keyed by
# packet type number: CONNACK 2, PUBACK 4, PUBREC 5, PUBREL 6, PUBCOMP 7, SUBACK 9, UNSUBACK 11,
# DISCONNECT 14, AUTH 15.
ALLOWED_REASON_CODES: dict[int, frozenset[int]] = {
    2: frozenset({_R.SUCCESS, *range(0x80, 0x8B), _R.BAD_AUTHENTICATION_METHOD, _R.TOPIC_NAME_INVALID})
    | frozenset({_R.PACKET_TOO_LARGE, _R.QUOTA_EXCEEDED, _R.PAYLOAD_FORMAT_INVALID, _R.RETAIN_NOT_SUPPORTED})
    | frozenset({_R.QOS_NOT_SUPPORTED, _R.USE_ANOTHER_SERVER, _R.SERVER_MOVED, _R.CONNECTION_RATE_EXCEEDED}),
    4: _ACK_REASONS,
    5: _ACK_REASONS,
    6: _RELEASE_REASONS,
    7: _RELEASE_REASONS,
    9: frozenset({_R.GRANTED_QOS_0, _R.GRANTED_QOS_1, _R.GRANTED_QOS_2, _R.UNSPECIFIED_ERROR})
    | frozenset({_R.IMPLEMENTATION_SPECIFIC_ERROR, _R.NOT_AUTHORIZED, _R.TOPIC_FILTER_INVALID})
    | frozenset({_R.PACKET_IDENTIFIER_IN_USE, _R.QUOTA_EXCEEDED, _R.SHARED_SUBSCRIPTIONS_NOT_SUPPORTED})
    | frozenset({_R.SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED, _R.WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED}),
    11: frozenset({_R.SUCCESS, _R.NO_SUBSCRIPTION_EXISTED, _R.UNSPECIFIED_ERROR})
    | frozenset({_R.IMPLEMENTATION_SPECIFIC_ERROR, _R.NOT_AUTHORIZED, _R.TOPIC_FILTER_INVALID})
    | frozenset({_R.PACKET_IDENTIFIER_IN_USE}),
    14: frozenset({_R.NORMAL_DISCONNECTION, _R.DISCONNECT_WITH_WILL, *range(0x80, 0x84), _R.NOT_AUTHORIZED})
    | frozenset({_R.SERVER_BUSY, _R.SERVER_SHUTTING_DOWN, *range(0x8D, 0x91), *range(0x93, 0xA3)}),
    15: frozenset({_R.SUCCESS, _R.CONTINUE_AUTHENTICATION, _R.REAUTHENTICATE}),
}

# MQTT 3.1.1 SUBACK return codes.
SUBACK_RETURN_CODES_V311 = frozenset({0, 1, 2, SUBACK_FAILURE_V311})
