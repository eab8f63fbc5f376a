"""Packet byte vectors as data: hex, the protocol version, and the expected packet or error.

Hex is written by hand from the spec's packet layouts (not produced by the encoder), with spaces between
fields. `to_server` vectors are decoded by a server-side decoder after a valid CONNECT of that version (or
fresh, for CONNECT itself); the others by a client-side decoder. `canonical` vectors must also be what the
encoder produces for the expected packet.
"""

from __future__ import annotations

from dataclasses import dataclass

from broker.codec import (
    Auth,
    ConnAck,
    Connect,
    Disconnect,
    Packet,
    PingReq,
    PingResp,
    Properties,
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
)
from broker.codec import ProtocolVersion as V

MALFORMED = ReasonCode.MALFORMED_PACKET
PROTOCOL = ReasonCode.PROTOCOL_ERROR


@dataclass(frozen=True)
class Valid:
    name: str
    version: V
    hex: str
    packet: Packet
    to_server: bool = True
    canonical: bool = True

    @property
    def data(self) -> bytes:
        return bytes.fromhex(self.hex)


@dataclass(frozen=True)
class Invalid:
    name: str
    version: V
    hex: str
    reason: ReasonCode
    spec_id: str
    to_server: bool = True
    # None: a CONNECT vector is decoded first on a fresh connection, anything else after a valid CONNECT.
    after_connect: bool | None = None

    @property
    def data(self) -> bytes:
        return bytes.fromhex(self.hex)


MQTT = "0004 4d515454"
CONNECT_HEAD_V311 = f"{MQTT} 04"

VALID: list[Valid] = [
    Valid(
        "connect 3.1.1 minimal",
        V.V311,
        f"10 0c {MQTT} 04 02 003c 0000",
        Connect("MQTT", V.V311, True, 60, ""),
    ),
    Valid(
        "connect 3.1",
        V.V31,
        "10 10 0006 4d5149736470 03 00 000a 0002 6964",
        Connect("MQIsdp", V.V31, False, 10, "id"),
    ),
    Valid(
        "connect 3.1.1 will, user name and password",
        V.V311,
        f"10 1e {MQTT} 04 ee 001e 0001 63 0003 772f74 0003 627965 0001 75 0002 7077",
        Connect("MQTT", V.V311, True, 30, "c", Will("w/t", b"bye", 1, True), "u", b"pw"),
    ),
    Valid(
        "connect from a mosquitto bridge (level | 0x80)",
        V.V311,
        f"10 0c {MQTT} 84 02 003c 0000",
        Connect("MQTT", V.V311, True, 60, "", is_bridge=True),
    ),
    Valid(
        "connect 5 with session expiry and will delay",
        V.V5,
        f"10 1e {MQTT} 05 06 003c 05 11 0000000a 0001 63 05 18 00000005 0001 74 0000",
        Connect(
            "MQTT",
            V.V5,
            True,
            60,
            "c",
            Will("t", b"", 0, False, Properties(will_delay_interval=5)),
            properties=Properties(session_expiry_interval=10),
        ),
    ),
    Valid(
        "connect 5 password without user name is allowed",
        V.V5,
        f"10 10 {MQTT} 05 42 003c 00 0000 0001 78",
        Connect("MQTT", V.V5, True, 60, "", password=b"x"),
    ),
    Valid("connack 3.1.1 session present", V.V311, "20 02 01 00", ConnAck(True, 0), to_server=False),
    Valid("connack 3.1.1 not authorized", V.V311, "20 02 00 05", ConnAck(False, 5), to_server=False),
    Valid(
        "connack 5 with assigned client id",
        V.V5,
        "20 07 00 00 04 12 0001 61",
        ConnAck(False, 0, Properties(assigned_client_identifier="a")),
        to_server=False,
    ),
    Valid("publish qos 0", V.V311, "30 05 0001 61 6869", Publish("a", b"hi")),
    Valid("publish qos 1 retain", V.V311, "33 07 0001 61 0001 6869", Publish("a", b"hi", 1, True, False, 1)),
    Valid(
        "publish qos 2 dup", V.V311, "3c 07 0001 61 ffff 6869", Publish("a", b"hi", 2, False, True, 0xFFFF)
    ),
    Valid("publish empty payload", V.V311, "30 03 0001 61", Publish("a", b"")),
    Valid("publish 3.1", V.V31, "30 06 0002 c3a9 2121", Publish("é", b"!!")),
    Valid(
        "publish 5 with topic alias",
        V.V5,
        "32 0b 0001 61 0001 03 23 0005 6869",
        Publish("a", b"hi", 1, False, False, 1, Properties(topic_alias=5)),
    ),
    Valid(
        "publish 5 empty topic with topic alias",
        V.V5,
        "30 06 0000 03 23 0001",
        Publish("", b"", properties=Properties(topic_alias=1)),
    ),
    Valid(
        "publish 5 user properties keep their order",
        V.V5,
        "30 14 0001 61 0e 26 0001 62 0001 31 26 0001 61 0001 32 7878",
        Publish("a", b"xx", properties=Properties(user_properties=[("b", "1"), ("a", "2")])),
    ),
    Valid("puback", V.V311, "40 02 0001", PubAck(1)),
    Valid("pubrec", V.V311, "50 02 0102", PubRec(0x0102)),
    Valid("pubrel", V.V311, "62 02 0001", PubRel(1)),
    Valid("pubcomp", V.V311, "70 02 0001", PubComp(1)),
    Valid("puback 5 short form", V.V5, "40 02 0001", PubAck(1)),
    Valid("puback 5 with reason", V.V5, "40 03 0001 10", PubAck(1, ReasonCode.NO_MATCHING_SUBSCRIBERS)),
    Valid(
        "puback 5 with reason string",
        V.V5,
        "40 08 0001 10 04 1f 0001 78",
        PubAck(1, 0x10, Properties(reason_string="x")),
    ),
    Valid("puback 5 success with empty properties", V.V5, "40 04 0001 00 00", PubAck(1), canonical=False),
    Valid("pubrel 5 identifier not found", V.V5, "62 03 0001 92", PubRel(1, 0x92)),
    Valid("subscribe", V.V311, "82 06 0001 0001 61 01", Subscribe(1, [SubscriptionRequest("a", 1)])),
    Valid(
        "subscribe two filters",
        V.V311,
        "82 0e 0002 0003 612f23 00 0003 2b2f62 02",
        Subscribe(2, [SubscriptionRequest("a/#", 0), SubscriptionRequest("+/b", 2)]),
    ),
    Valid(
        "subscribe 5 with every option",
        V.V5,
        "82 07 0001 00 0001 61 2d",
        Subscribe(1, [SubscriptionRequest("a", 1, True, True, 2)]),
    ),
    Valid(
        "subscribe 5 with a subscription identifier",
        V.V5,
        "82 0a 0001 03 0b 8001 0001 61 00",
        Subscribe(1, [SubscriptionRequest("a")], Properties(subscription_identifiers=[128])),
    ),
    Valid("suback", V.V311, "90 05 0001 00 01 80", SubAck(1, [0, 1, 0x80]), to_server=False),
    Valid("suback 5", V.V5, "90 05 0001 00 02 8f", SubAck(1, [2, 0x8F]), to_server=False),
    Valid("unsubscribe", V.V311, "a2 05 0001 0001 61", Unsubscribe(1, ["a"])),
    Valid("unsubscribe 5", V.V5, "a2 06 0001 00 0001 61", Unsubscribe(1, ["a"])),
    Valid("unsuback", V.V311, "b0 02 0001", UnsubAck(1), to_server=False),
    Valid("unsuback 5", V.V5, "b0 05 0001 00 00 11", UnsubAck(1, [0, 0x11]), to_server=False),
    Valid("pingreq", V.V311, "c0 00", PingReq()),
    Valid("pingresp", V.V311, "d0 00", PingResp(), to_server=False),
    Valid("disconnect", V.V311, "e0 00", Disconnect()),
    Valid("disconnect 5 with will", V.V5, "e0 01 04", Disconnect(ReasonCode.DISCONNECT_WITH_WILL)),
    Valid(
        "disconnect 5 session expiry",
        V.V5,
        "e0 07 00 05 11 00000000",
        Disconnect(0, Properties(session_expiry_interval=0)),
    ),
    Valid("auth 5 empty", V.V5, "f0 00", Auth()),
    Valid(
        "auth 5 continue",
        V.V5,
        "f0 0c 18 0a 15 0003 616263 16 0001 01",
        Auth(0x18, Properties(authentication_method="abc", authentication_data=b"\x01")),
    ),
]

_BAD_CONNECT = "MQTT-3.1.2-3"
INVALID: list[Invalid] = [
    Invalid("connect reserved flag", V.V311, f"10 0c {MQTT} 04 03 003c 0000", MALFORMED, _BAD_CONNECT),
    Invalid(
        "will qos without will flag", V.V311, f"10 0c {MQTT} 04 0a 003c 0000", MALFORMED, "MQTT-3.1.2-13"
    ),
    Invalid(
        "will retain without will flag", V.V311, f"10 0c {MQTT} 04 22 003c 0000", MALFORMED, "MQTT-3.1.2-15"
    ),
    Invalid("will qos 3", V.V311, f"10 0c {MQTT} 04 1e 003c 0000", MALFORMED, "MQTT-3.1.2-14"),
    Invalid(
        "3.1.1 password without user name",
        V.V311,
        f"10 0c {MQTT} 04 42 003c 0000",
        MALFORMED,
        "MQTT-3.1.2-22",
    ),
    Invalid("unknown protocol name", V.V311, "10 0c 0004 4d515458 04 02 003c 0000", PROTOCOL, "MQTT-3.1.2-1"),
    Invalid(
        "protocol level 6",
        V.V311,
        f"10 0c {MQTT} 06 02 003c 0000",
        ReasonCode.UNSUPPORTED_PROTOCOL_VERSION,
        "MQTT-3.1.2-2",
    ),
    Invalid(
        "MQIsdp at level 4",
        V.V311,
        "10 0e 0006 4d5149736470 04 02 003c 0000",
        ReasonCode.UNSUPPORTED_PROTOCOL_VERSION,
        "MQTT-3.1.2-2",
    ),
    Invalid("connect trailing byte", V.V311, f"10 0d {MQTT} 04 02 003c 0000 00", MALFORMED, "MQTT5 2.1.4"),
    Invalid("connect truncated header", V.V311, f"10 07 {MQTT} 04", MALFORMED, "MQTT5 3.1.2"),
    Invalid("client id not UTF-8", V.V311, f"10 0d {MQTT} 04 02 003c 0001 ff", MALFORMED, "MQTT-1.5.3-1"),
    Invalid(
        "client id with a surrogate",
        V.V311,
        f"10 0f {MQTT} 04 02 003c 0003 eda080",
        MALFORMED,
        "MQTT-1.5.3-1",
    ),
    Invalid("client id with U+0000", V.V311, f"10 0d {MQTT} 04 02 003c 0001 00", MALFORMED, "MQTT-1.5.3-2"),
    Invalid("client id overruns", V.V311, f"10 0d {MQTT} 04 02 003c 0005 61", MALFORMED, "MQTT-1.5.3-1"),
    Invalid(
        "connect 5 receive maximum 0",
        V.V5,
        f"10 10 {MQTT} 05 02 003c 03 21 0000 0000",
        PROTOCOL,
        "MQTT5 2.2.2.2",
    ),
    Invalid(
        "connect 5 will property in connect",
        V.V5,
        f"10 12 {MQTT} 05 02 003c 05 18 00000001 0000",
        PROTOCOL,
        "MQTT5 2.2.2.2",
    ),
    Invalid(
        "connect 5 request problem information 2",
        V.V5,
        f"10 0f {MQTT} 05 02 003c 02 17 02 0000",
        PROTOCOL,
        "MQTT5 2.2.2.2",
    ),
    Invalid("connect 5 reserved flag", V.V5, f"10 0d {MQTT} 05 03 003c 00 0000", MALFORMED, _BAD_CONNECT),
    Invalid(
        "connect 5 client id not UTF-8",
        V.V5,
        f"10 0e {MQTT} 05 02 003c 00 0001 ff",
        MALFORMED,
        "MQTT-1.5.3-1",
    ),
    Invalid(
        "connect 5 authentication data without a method",
        V.V5,
        f"10 11 {MQTT} 05 02 003c 04 16 0001 01 0000",
        PROTOCOL,
        "MQTT5 3.1.2.11.10",
    ),
    Invalid(
        "publish before connect", V.V311, "30 05 0001 61 6869", PROTOCOL, "MQTT-3.1.0-1", after_connect=False
    ),
    Invalid("publish qos 3", V.V311, "36 07 0001 61 0001 6869", MALFORMED, "MQTT-3.3.1-4"),
    Invalid("publish dup with qos 0", V.V311, "38 05 0001 61 6869", MALFORMED, "MQTT-3.3.1-2"),
    Invalid("publish 5 dup with qos 0", V.V5, "38 06 0001 61 00 6869", MALFORMED, "MQTT-3.3.1-2"),
    Invalid("publish packet id 0", V.V311, "32 07 0001 61 0000 6869", MALFORMED, "MQTT-2.3.1-1"),
    Invalid("publish without packet id", V.V311, "32 04 0001 61 00", MALFORMED, "MQTT-2.3.1-1"),
    Invalid(
        "publish topic with +", V.V311, "30 05 0001 2b 6869", ReasonCode.TOPIC_NAME_INVALID, "MQTT-3.3.2-2"
    ),
    Invalid(
        "publish topic with #", V.V5, "30 06 0001 23 00 6869", ReasonCode.TOPIC_NAME_INVALID, "MQTT-3.3.2-2"
    ),
    Invalid("publish empty topic", V.V311, "30 04 0000 6869", ReasonCode.TOPIC_NAME_INVALID, "MQTT-4.7.3-1"),
    Invalid("publish 5 empty topic, no alias", V.V5, "30 03 0000 00", PROTOCOL, "MQTT5 3.3.2.3.4"),
    Invalid("publish topic overruns", V.V311, "30 03 0005 61", MALFORMED, "MQTT-3.3.2-1"),
    Invalid("publish topic not UTF-8", V.V311, "30 05 0002 c328 00", MALFORMED, "MQTT-1.5.3-1"),
    Invalid(
        "publish 5 topic alias 0",
        V.V5,
        "30 07 0001 61 03 23 0000",
        ReasonCode.TOPIC_ALIAS_INVALID,
        "MQTT5 2.2.2.2",
    ),
    Invalid("publish 5 property length overruns", V.V5, "30 05 0001 61 05 01", MALFORMED, "MQTT5 2.2.2.1"),
    Invalid("publish 5 property value overruns", V.V5, "30 06 0001 61 02 02 00", MALFORMED, "MQTT5 1.5.3"),
    Invalid("publish 5 unknown property", V.V5, "30 07 0001 61 02 7f 00 41", MALFORMED, "MQTT5 2.2.2.2"),
    Invalid(
        "publish 5 connect-only property", V.V5, "30 09 0001 61 05 11 00000001", PROTOCOL, "MQTT5 2.2.2.2"
    ),
    Invalid("publish 5 duplicate property", V.V5, "30 08 0001 61 04 01 01 01 01", PROTOCOL, "MQTT5 2.2.2.2"),
    Invalid("publish 5 payload format 2", V.V5, "30 06 0001 61 02 01 02", PROTOCOL, "MQTT5 2.2.2.2"),
    Invalid(
        "publish 5 five-byte property varint",
        V.V5,
        "30 0a 0001 61 06 0b ffffffff01",
        MALFORMED,
        "MQTT5 1.5.5",
    ),
    Invalid("remaining length of five bytes", V.V311, "30 ff ff ff ff 01", MALFORMED, "MQTT5 2.1.4"),
    Invalid("reserved packet type 0", V.V311, "00 00", MALFORMED, "MQTT-2.2.1-1"),
    Invalid("auth before MQTT 5", V.V311, "f0 00", MALFORMED, "MQTT-2.2.1-1"),
    Invalid(
        "second connect",
        V.V311,
        f"10 0c {MQTT} 04 02 003c 0000",
        PROTOCOL,
        "MQTT-3.1.0-2",
        after_connect=True,
    ),
    Invalid("client sends connack", V.V311, "20 02 00 00", PROTOCOL, "MQTT5 2.1.2"),
    Invalid("client sends suback", V.V5, "90 04 0001 00 00", PROTOCOL, "MQTT5 2.1.2"),
    Invalid("puback flags", V.V311, "41 02 0001", MALFORMED, "MQTT-2.2.2-2"),
    Invalid("pubrel flags", V.V311, "60 02 0001", MALFORMED, "MQTT-2.2.2-2"),
    Invalid("subscribe flags", V.V311, "80 06 0001 0001 61 01", MALFORMED, "MQTT-2.2.2-2"),
    Invalid("unsubscribe flags", V.V311, "a0 05 0001 0001 61", MALFORMED, "MQTT-2.2.2-2"),
    Invalid("pingreq flags", V.V311, "c1 00", MALFORMED, "MQTT-2.2.2-2"),
    Invalid("disconnect flags", V.V5, "e2 00", MALFORMED, "MQTT-2.2.2-2"),
    Invalid("puback packet id 0", V.V311, "40 02 0000", MALFORMED, "MQTT-2.3.1-1"),
    Invalid("puback too short", V.V311, "40 01 00", MALFORMED, "MQTT5 3.4.2"),
    Invalid("puback 3.1.1 trailing byte", V.V311, "40 03 0001 00", MALFORMED, "MQTT5 2.1.4"),
    Invalid("puback 5 reason not allowed", V.V5, "40 03 0001 05", PROTOCOL, "MQTT5 3.4.2.1"),
    Invalid("pubrel 5 reason not allowed", V.V5, "62 03 0001 10", PROTOCOL, "MQTT5 3.4.2.1"),
    Invalid("pingreq with a body", V.V311, "c0 01 00", MALFORMED, "MQTT5 2.1.4"),
    Invalid("disconnect 3.1.1 with a body", V.V311, "e0 01 00", MALFORMED, "MQTT5 2.1.4"),
    Invalid("disconnect 5 reason not allowed", V.V5, "e0 01 01", PROTOCOL, "MQTT5 2.4"),
    Invalid("auth 5 reason not allowed", V.V5, "f0 01 87", PROTOCOL, "MQTT5 2.4"),
    Invalid("subscribe without filters", V.V311, "82 02 0001", PROTOCOL, "MQTT-3.8.3-3"),
    Invalid("subscribe 5 without filters", V.V5, "82 03 0001 00", PROTOCOL, "MQTT-3.8.3-3"),
    Invalid("subscribe packet id 0", V.V311, "82 06 0000 0001 61 01", MALFORMED, "MQTT-2.3.1-1"),
    Invalid("subscribe reserved bits", V.V311, "82 06 0001 0001 61 04", MALFORMED, "MQTT-3.8.3-4"),
    Invalid("subscribe qos 3", V.V311, "82 06 0001 0001 61 03", MALFORMED, "MQTT-3.8.3-4"),
    Invalid("subscribe 5 reserved bits", V.V5, "82 07 0001 00 0001 61 41", MALFORMED, "MQTT-3.8.3-5"),
    Invalid("subscribe 5 retain handling 3", V.V5, "82 07 0001 00 0001 61 30", PROTOCOL, "MQTT5 3.8.3.1"),
    Invalid("subscribe filter without options", V.V311, "82 05 0001 0001 61", MALFORMED, "MQTT5 3.8.3.1"),
    Invalid(
        "subscribe 5 two subscription ids",
        V.V5,
        "82 0b 0001 04 0b01 0b02 0001 61 01",
        PROTOCOL,
        "MQTT5 2.2.2.2",
    ),
    Invalid(
        "subscribe 5 subscription id 0", V.V5, "82 09 0001 02 0b00 0001 61 01", PROTOCOL, "MQTT5 2.2.2.2"
    ),
    Invalid("unsubscribe without filters", V.V311, "a2 02 0001", PROTOCOL, "MQTT-3.10.3-2"),
    Invalid("unsubscribe filter overruns", V.V311, "a2 05 0001 0009 61", MALFORMED, "MQTT-1.5.3-1"),
    Invalid("connack reserved flags", V.V311, "20 02 02 00", MALFORMED, "MQTT-3.2.2-1", to_server=False),
    Invalid(
        "connack 5 reason not allowed", V.V5, "20 03 00 04 00", PROTOCOL, "MQTT5 3.2.2.2", to_server=False
    ),
    Invalid(
        "suback 3.1.1 bad return code", V.V311, "90 03 0001 03", PROTOCOL, "MQTT5 3.9.3", to_server=False
    ),
    Invalid("suback without codes", V.V311, "90 02 0001", PROTOCOL, "MQTT5 3.9.3", to_server=False),
    Invalid("unsuback 3.1.1 with codes", V.V311, "b0 03 0001 00", MALFORMED, "MQTT5 3.11", to_server=False),
    Invalid(
        "server sends connect",
        V.V311,
        f"10 0c {MQTT} 04 02 003c 0000",
        PROTOCOL,
        "MQTT5 2.1.2",
        to_server=False,
    ),
]
