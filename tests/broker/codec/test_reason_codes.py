"""Reason codes and the MQTT 3.1.1 CONNACK mapping."""

from __future__ import annotations

import pytest

from broker.codec import ConnAck, ConnectReturnCode, ProtocolVersion, ReasonCode, connack_return_code, encode


def test_aliases_share_a_value() -> None:
    assert ReasonCode.NORMAL_DISCONNECTION is ReasonCode.SUCCESS
    assert ReasonCode.GRANTED_QOS_0 == 0
    assert ReasonCode.WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED == 0xA2


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        (ReasonCode.SUCCESS, ConnectReturnCode.ACCEPTED),
        (ReasonCode.UNSUPPORTED_PROTOCOL_VERSION, ConnectReturnCode.UNACCEPTABLE_PROTOCOL_VERSION),
        (ReasonCode.CLIENT_IDENTIFIER_NOT_VALID, ConnectReturnCode.IDENTIFIER_REJECTED),
        (ReasonCode.SERVER_UNAVAILABLE, ConnectReturnCode.SERVER_UNAVAILABLE),
        (ReasonCode.SERVER_BUSY, ConnectReturnCode.SERVER_UNAVAILABLE),
        (ReasonCode.BAD_USER_NAME_OR_PASSWORD, ConnectReturnCode.BAD_USER_NAME_OR_PASSWORD),
        (ReasonCode.NOT_AUTHORIZED, ConnectReturnCode.NOT_AUTHORIZED),
        (ReasonCode.BANNED, ConnectReturnCode.NOT_AUTHORIZED),
        (ReasonCode.QUOTA_EXCEEDED, ConnectReturnCode.SERVER_UNAVAILABLE),
        (ConnectReturnCode.IDENTIFIER_REJECTED, ConnectReturnCode.IDENTIFIER_REJECTED),
    ],
)
def test_connack_return_code(reason: int, expected: ConnectReturnCode) -> None:
    assert connack_return_code(reason) is expected


def test_v311_connack_encodes_the_mapped_code() -> None:
    """[MQTT-3.2.2-5]: a refusing 3.1.1 CONNACK carries a return code and session present 0."""
    assert encode(ConnAck(False, ReasonCode.NOT_AUTHORIZED), ProtocolVersion.V311) == bytes.fromhex(
        "20 02 00 05"
    )
    assert encode(ConnAck(False, 0x84), ProtocolVersion.V311) == bytes.fromhex("20 02 00 01")


def test_v31_connack_has_no_session_present_flag() -> None:
    assert encode(ConnAck(True, 0), ProtocolVersion.V31) == bytes.fromhex("20 02 00 00")
    assert encode(ConnAck(True, 0), ProtocolVersion.V311) == bytes.fromhex("20 02 01 00")
