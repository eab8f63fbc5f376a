"""CONNECT / CONNACK: versions, client ids, sessions, keepalive and limits (MQTT 3.1.1 and 5.0)."""

from __future__ import annotations

import pytest

from broker.codec import ProtocolVersion, ReasonCode
from broker.protocol.limits import ProtocolLimits
from tests.broker.protocol.pair import V5, V311, ConnAck, Connect, Disconnect, Hub, Properties

V31 = ProtocolVersion.V31


@pytest.mark.parametrize("version", [V31, V311, V5])
def test_connect_is_accepted_in_every_version(version):
    hub = Hub()
    connack = hub.client(version).connect("client-1")
    assert (connack.reason_code, connack.session_present) == (0, False)


def test_unsupported_protocol_level_gets_connack_0x01_and_close():
    """[MQTT-3.1.2-2] unsupported level: CONNACK return code 0x01, then close."""
    hub = Hub()
    client = hub.client(V311)
    body = b"\x00\x04MQTT\x07\x02\x00\x3c\x00\x01c"
    client.send_bytes(bytes([0x10, len(body)]) + body)
    assert client.connection.take_output() == b"\x20\x02\x00\x01"
    assert client.is_closed


def test_v311_empty_client_id_needs_clean_session():
    """[MQTT-3.1.3-8] CONNACK 0x02 identifier rejected; [MQTT-3.1.3-7] accepted with clean session."""
    hub = Hub()
    refused = hub.client(V311)
    assert refused.connect("", clean=False).reason_code == 0x02
    assert refused.is_closed
    assert hub.client(V311).connect("", clean=True).reason_code == 0


def test_v5_empty_client_id_gets_an_assigned_identifier():
    """[MQTT-3.2.2-16] the CONNACK carries the Assigned Client Identifier."""
    hub = Hub()
    client = hub.client(V5)
    connack = client.connect("")
    assigned = connack.properties.assigned_client_identifier
    assert assigned and client.connection.client_id == assigned
    assert assigned in hub.broker.sessions


def test_session_present_for_a_resumed_persistent_session():
    """[MQTT-3.2.2-2] session present 1 when resuming; [MQTT-3.2.2-1] 0 with clean start."""
    hub = Hub()
    first = hub.connected("p", V311, clean=False)
    first.disconnect()
    assert hub.client(V311).connect("p", clean=False).session_present is True
    assert hub.client(V311).connect("p", clean=True).session_present is False


def test_v5_session_expiry_zero_ends_session_with_connection():
    """[MQTT-3.1.2-23]: no Session Expiry Interval means the session ends with the connection."""
    hub = Hub()
    hub.connected("c", V5, clean=False).disconnect()
    assert "c" not in hub.broker.sessions
    hub.connected("d", V5, clean=False, properties=Properties(session_expiry_interval=60)).disconnect()
    assert hub.client(V5).connect("d", clean=False).session_present is True


def test_takeover_sends_disconnect_0x8e_to_the_old_v5_connection():
    """[MQTT-3.1.4-3] the existing connection is closed, with DISCONNECT 0x8E in MQTT 5."""
    hub = Hub()
    old = hub.connected("same", V5)
    hub.connected("same", V5)
    [disconnect] = old.received()
    assert isinstance(disconnect, Disconnect)
    assert disconnect.reason_code == ReasonCode.SESSION_TAKEN_OVER
    assert old.is_closed


def test_takeover_just_closes_an_old_v311_connection():
    hub = Hub()
    old = hub.connected("same", V311)
    hub.connected("same", V311)
    assert old.received() == [] and old.is_closed


def test_max_keepalive_is_advertised_as_server_keep_alive():
    """[MQTT-3.2.2-21] the client must use the Server Keep Alive the broker sends."""
    hub = Hub(limits=ProtocolLimits(max_keepalive=10))
    client = hub.client(V5)
    assert client.connect("k", keep_alive=60).properties.server_keep_alive == 10
    assert client.connection.keep_alive == 10
    assert hub.client(V5).connect("k0", keep_alive=0).properties.server_keep_alive == 10
    assert hub.client(V5).connect("k5", keep_alive=5).properties.server_keep_alive is None


def test_connack_advertises_the_broker_limits():
    hub = Hub(limits=ProtocolLimits(receive_maximum=7, topic_alias_maximum=3, max_packet_size=4096))
    properties = hub.client(V5).connect("l").properties
    assert (properties.receive_maximum, properties.topic_alias_maximum) == (7, 3)
    assert properties.maximum_packet_size == 4096


def test_enhanced_authentication_is_refused_with_bad_authentication_method():
    """[MQTT-4.12.0-1] an unsupported Authentication Method gets CONNACK 0x8C."""
    hub = Hub()
    client = hub.client(V5)
    connack = client.connect("a", properties=Properties(authentication_method="SCRAM-SHA-1"))
    assert connack.reason_code == ReasonCode.BAD_AUTHENTICATION_METHOD
    assert client.is_closed


def test_second_connect_is_a_protocol_error():
    """[MQTT-3.1.0-2] a second CONNECT closes the connection (v5: DISCONNECT 0x82)."""
    hub = Hub()
    client = hub.connected("twice", V5)
    client.send(Connect(client_id="twice", protocol_version=V5))
    [disconnect] = client.received()
    assert disconnect.reason_code == ReasonCode.PROTOCOL_ERROR
    assert client.is_closed


def test_v31_client_id_longer_than_23_characters_is_rejected():
    """MQTT 3.1: client ids are 1 to 23 characters; CONNACK 2 otherwise."""
    hub = Hub()
    assert hub.client(V31).connect("x" * 24).reason_code == 0x02
    assert hub.client(V31).connect("").reason_code == 0x02


def test_reason_strings_only_when_problem_information_is_requested():
    """[MQTT-3.1.2-29]: Request Problem Information 0 means no Reason String beyond CONNACK/DISCONNECT.

    Perch leaves it out of DISCONNECT too; with the default (1) the DISCONNECT explains itself.
    """
    hub = Hub()
    quiet = hub.connected("quiet", V5, properties=Properties(request_problem_information=0))
    quiet.send(Connect(client_id="quiet", protocol_version=V5))
    assert quiet.received()[0].properties.reason_string is None
    chatty = hub.connected("chatty", V5)
    chatty.send(Connect(client_id="chatty", protocol_version=V5))
    assert "CONNECT" in chatty.received()[0].properties.reason_string


def test_disconnect_reason_string_is_dropped_when_above_the_client_maximum_packet_size():
    """[MQTT-3.1.2-25]: the broker never sends a packet larger than the client's Maximum Packet Size."""
    hub = Hub()
    client = hub.connected("small", V5, properties=Properties(maximum_packet_size=16))
    client.send(Connect(client_id="small", protocol_version=V5))
    [disconnect] = client.received()
    assert disconnect.reason_code == ReasonCode.PROTOCOL_ERROR
    assert disconnect.properties.reason_string is None


def _refusal_of_a_bad_connect(version: ProtocolVersion, body_hex: str) -> tuple[list[object], bool]:
    """Send a hand-built CONNECT body; return what the broker answered and whether it closed."""
    client = Hub().client(version)
    body = bytes.fromhex(body_hex)
    client.send_bytes(bytes([0x10, len(body)]) + body)
    return client.received(), client.is_closed


_MALFORMED, _PROTOCOL = ReasonCode.MALFORMED_PACKET, ReasonCode.PROTOCOL_ERROR


@pytest.mark.parametrize(
    ("body_hex", "reason"),
    [
        pytest.param("0004 4d515454 05 03 003c 00 0000", _MALFORMED, id="reserved flag MQTT-3.1.2-3"),
        pytest.param(
            "0004 4d515454 05 0a 003c 00 0000", _MALFORMED, id="will QoS without will MQTT-3.1.2-11"
        ),
        pytest.param("0004 4d515454 05 82 003c 00 0000", _MALFORMED, id="user name missing MQTT-3.1.2-17"),
        pytest.param(
            "0004 4d515454 05 02 003c 00 0001 ff", _MALFORMED, id="client id not UTF-8 MQTT-1.5.4-1"
        ),
        pytest.param("0004 4d515454 05 02 003c 03 21 0000 0000", _PROTOCOL, id="Receive Maximum 0"),
        pytest.param("0004 4d515454 05 02 003c 04 16 0001 01 0000", _PROTOCOL, id="auth data without method"),
    ],
)
def test_v5_malformed_connect_gets_connack_with_the_reason_then_close(body_hex, reason):
    """[MQTT-4.13.1-1] a server MAY send CONNACK with a reason code >= 0x80 for a bad CONNECT; Perch does.
    Authentication Data without an Authentication Method is a Protocol Error (MQTT 5 3.1.2.11.10)."""
    [connack], closed = _refusal_of_a_bad_connect(V5, body_hex)
    assert isinstance(connack, ConnAck) and connack.reason_code == reason
    assert connack.properties.reason_string  # it explains itself (problem information defaults to 1)
    assert closed


def test_v311_malformed_connect_is_closed_without_connack():
    """3.1.1 has no CONNACK code for a malformed CONNECT: the connection is just closed [MQTT-4.8.0-1]."""
    assert _refusal_of_a_bad_connect(V311, "0004 4d515454 04 03 003c 0000") == ([], True)


def test_success_connack_bytes_are_shared_yet_follow_each_broker_s_limits():
    """The common success CONNACK is encoded once per (version, limits, session present)."""
    small = Hub(limits=ProtocolLimits(receive_maximum=7, topic_alias_maximum=3, max_packet_size=4096))
    plain = Hub()
    first, second = small.client(V5), small.client(V5)
    assert first.connect("s1").properties == second.connect("s2").properties
    assert plain.client(V5).connect("p1").properties.receive_maximum == ProtocolLimits().receive_maximum
    assert small.client(V5).connect("s3").properties.receive_maximum == 7
    assert small.client(V311).connect("v3").session_present is False


def test_connack_properties_are_left_out_above_the_client_maximum_packet_size():
    """[MQTT-3.1.2-25] a CONNACK too large with its properties goes without them."""
    hub = Hub(limits=ProtocolLimits(receive_maximum=7, topic_alias_maximum=3, max_packet_size=4096))
    client = hub.client(V5)
    connack = client.connect("tiny", properties=Properties(maximum_packet_size=8))
    assert connack.reason_code == 0
    assert connack.properties.receive_maximum is None and connack.properties.maximum_packet_size is None


def test_only_mqtt5_connections_get_topic_alias_tables():
    hub = Hub()
    v5, v311 = hub.connected("a5", V5), hub.connected("a3", V311)
    assert isinstance(v5.connection.incoming_aliases, dict) and not v5.connection.incoming_aliases
    v5.connection.incoming_aliases[1] = "x"
    assert 1 not in v311.connection.incoming_aliases
