"""Corpus tables, part 2: flow control, packet ids, topic aliases, UTF-8, oversize, slow partial
packets, half-open sockets and session abuse. The broker under test runs with receive_maximum 5,
topic_alias_maximum 10, max_packet_size 1 MiB and connect_timeout 1 s (see conftest.py)."""

from __future__ import annotations

from tests.broker.badinput.cases import (
    CLOSE,
    MALFORMED,
    PACKET_ID_NOT_FOUND,
    PACKET_TOO_LARGE,
    PROTOCOL_ERROR,
    RECEIVE_MAXIMUM_EXCEEDED,
    SESSION_TAKEN_OVER,
    SPEC_VIOLATION,
    TOPIC_ALIAS_INVALID,
    TOPIC_NAME_INVALID,
    case,
    connack,
    disconnect,
    reply,
)
from tests.broker.badinput.wire import (
    DISCONNECT,
    SESSION_EXPIRY,
    TOPIC_ALIAS,
    USER_PROPERTY,
    V5,
    V311,
    connect,
    packet,
    prop_u16,
    prop_u32,
    props,
    publish,
    pubrel,
    subscribe,
    u16,
    unsubscribe,
    utf8,
)

SHUT_WR = b""  # a step that half-closes the client's side (sends FIN)
KEEPALIVE_TIMEOUT = 0x8D
MIB = 1024 * 1024
PUBREC, PUBCOMP, PUBACK = 0x50, 0x70, 0x40
BAD_TOPIC = disconnect(MALFORMED, PROTOCOL_ERROR, TOPIC_NAME_INVALID)


def _qos2(*ids: int) -> bytes:
    return b"".join(publish("fc", qos=2, packet_id=ident) for ident in ids)


def _alias(alias: int, topic: str = "", extra: bytes = b"") -> bytes:
    return publish(topic, properties=props(prop_u16(TOPIC_ALIAS, alias) + extra))


def _slow(data: bytes, pause: float) -> tuple[bytes | float, ...]:
    steps: list[bytes | float] = []
    for byte in data:
        steps += [bytes([byte]), pause]
    return tuple(steps)


FLOW_CONTROL = [
    case("flow-receive-maximum-exceeded", V5, _qos2(1, 2, 3, 4, 5, 6), disconnect(RECEIVE_MAXIMUM_EXCEEDED),
         "MQTT-3.3.4-9", "six unreleased QoS 2 PUBLISHes against Receive Maximum 5"),
    case("flow-receive-maximum-released", V5, _qos2(1, 2, 3, 4, 5) + pubrel(1) + _qos2(6),
         reply(*[(PUBREC, u16(i)) for i in range(1, 6)], (PUBCOMP, u16(1)), (PUBREC, u16(6))),
         "MQTT-3.3.4-9", "a PUBREL frees a slot: the sixth QoS 2 is accepted"),
    case("flow-pubrel-unknown", V5, pubrel(7), reply((PUBCOMP, u16(7) + bytes([PACKET_ID_NOT_FOUND]))),
         "MQTT5 3.7.2.1", "PUBREL for a packet id never received: PUBCOMP 0x92"),
    case("flow-pubrel-unknown-v311", V311, pubrel(7), reply((PUBCOMP, u16(7))), "MQTT-4.3.3-1",
         "PUBREL for a packet id never received: PUBCOMP"),
    case("flow-puback-unknown", V5, packet(0x40, u16(9)), reply(), "MQTT5 4.3.2",
         "PUBACK for a message never sent: ignored, connection kept"),
    case("flow-qos1-burst", V5, b"".join(publish("fc", qos=1, packet_id=i) for i in range(1, 41)),
         reply(*[(PUBACK, u16(i)) for i in range(1, 41)]), "MQTT-4.6.0-2",
         "40 QoS 1 PUBLISHes in one write: 40 PUBACKs in order"),
]

PACKET_IDS = [
    case("ids-qos2-resent", V5, _qos2(3) + publish("fc", qos=2, packet_id=3, flags=0x0C),
         reply((PUBREC, u16(3)), (PUBREC, u16(3))), "MQTT-4.3.3-9",
         "QoS 2 resent before PUBREL: PUBREC again"),
    case("ids-qos2-resent-v311", V311, publish("fc", qos=2, packet_id=3, version=V311) * 2,
         reply((PUBREC, u16(3)), (PUBREC, u16(3))), "MQTT-4.3.3-2", "QoS 2 resent before PUBREL"),
    case("ids-pubrel-0", V5, pubrel(0), SPEC_VIOLATION, "MQTT-2.2.1-3", "PUBREL with packet id 0"),
    case("ids-qos2-0", V5, publish("fc", qos=2, packet_id=0), SPEC_VIOLATION, "MQTT-2.2.1-3",
         "QoS 2 with packet id 0"),
    case("ids-subscribe-0-v311", V311, subscribe([("a", 0)], packet_id=0, version=V311), CLOSE,
         "MQTT-2.3.1-1", "SUBSCRIBE with packet id 0"),
    case("ids-unsubscribe-0-v311", V311, unsubscribe(["a"], packet_id=0, version=V311), CLOSE,
         "MQTT-2.3.1-1", "UNSUBSCRIBE with packet id 0"),
]

TOPIC_ALIASES = [
    case("alias-zero", V5, _alias(0, "a"), disconnect(TOPIC_ALIAS_INVALID), "MQTT-3.3.2-8", "topic alias 0"),
    case("alias-above-maximum", V5, _alias(11, "a"), disconnect(TOPIC_ALIAS_INVALID), "MQTT-3.3.2-9",
         "topic alias 11, maximum 10"),
    case("alias-65535", V5, _alias(65535, "a"), disconnect(TOPIC_ALIAS_INVALID), "MQTT-3.3.2-9",
         "topic alias 65535"),
    case("alias-unknown", V5, _alias(1), disconnect(PROTOCOL_ERROR), "MQTT5 3.3.2.3.4",
         "empty topic with an alias never set"),
    case("alias-twice", V5, _alias(1, "a", prop_u16(TOPIC_ALIAS, 2)), disconnect(PROTOCOL_ERROR),
         "MQTT5 2.2.2.2", "Topic Alias property twice"),
    case("alias-set-then-used", V5,
         publish("a/b", qos=1, packet_id=1, properties=props(prop_u16(TOPIC_ALIAS, 1)))
         + publish("", qos=1, packet_id=2, properties=props(prop_u16(TOPIC_ALIAS, 1))),
         reply((PUBACK, u16(1)), (PUBACK, u16(2))), "MQTT5 3.3.2.3.4", "an alias set, then used: accepted"),
]

UTF8 = [
    case("utf8-client-id", V5, connect(b"\xc3\x28"), connack(MALFORMED), "MQTT-1.5.4-1",
         "client id C3 28", connected=False),
    case("utf8-client-id-v311", V311, connect(b"\xc3\x28", V311), CLOSE, "MQTT-1.5.3-1", "client id C3 28",
         connected=False),
    case("utf8-topic-nul", V5, publish(b"a\x00b"), BAD_TOPIC, "MQTT-1.5.4-2", "topic with U+0000"),
    case("utf8-topic-nul-v311", V311, publish(b"a\x00b", version=V311), CLOSE, "MQTT-1.5.3-2",
         "topic with U+0000"),
    case("utf8-topic-surrogate", V5, publish(b"a\xed\xa0\x80"), disconnect(MALFORMED), "MQTT-1.5.4-1",
         "topic with an encoded surrogate"),
    case("utf8-topic-overlong", V5, publish(b"a\xc0\xaf"), disconnect(MALFORMED), "MQTT-1.5.4-1",
         "overlong encoding of /"),
    case("utf8-topic-beyond-unicode", V5, publish(b"a\xf4\x90\x80\x80"), disconnect(MALFORMED),
         "MQTT-1.5.4-1", "code point above U+10FFFF"),
    case("utf8-topic-five-byte", V5, publish(b"a\xf8\x88\x80\x80\x80"), disconnect(MALFORMED),
         "MQTT-1.5.4-1", "five-byte sequence"),
    case("utf8-topic-truncated-sequence", V5, publish(b"a\xe2\x82"), disconnect(MALFORMED), "MQTT-1.5.4-1",
         "three-byte sequence cut after two"),
    case("utf8-filter", V5, subscribe([(b"a/\xff", 0)]), SPEC_VIOLATION, "MQTT-1.5.4-1",
         "subscription filter with FF"),
    case("utf8-filter-nul-v311", V311, subscribe([(b"a\x00", 0)], version=V311), CLOSE, "MQTT-1.5.3-2",
         "subscription filter with U+0000"),
    case("utf8-unsubscribe-filter", V5, unsubscribe([b"a/\xfe"]), disconnect(MALFORMED), "MQTT-1.5.4-1",
         "unsubscribe filter with FE"),
    case("utf8-username", V5, connect("n", flags=0x82, payload_tail=utf8(b"\xff")), connack(MALFORMED),
         "MQTT-1.5.4-1", "user name FF", connected=False),
    case("utf8-will-topic", V5, connect("n", flags=0x06, payload_tail=props() + utf8(b"w\xff") + utf8("x")),
         connack(MALFORMED), "MQTT-1.5.4-1", "will topic with FF", connected=False),
    case("utf8-user-property", V5,
         publish("a", properties=props(bytes([USER_PROPERTY]) + utf8(b"\xff") + utf8("v"))),
         disconnect(MALFORMED), "MQTT-1.5.4-1", "user property name FF"),
]

OVERSIZE = [
    case("oversize-publish-256mb", V5, b"\x30\xff\xff\xff\x7f" + utf8("a"), disconnect(PACKET_TOO_LARGE),
         "MQTT-3.2.2-15", "PUBLISH declaring 256 MB, 3 bytes sent"),
    case("oversize-publish-256mb-v311", V311, b"\x30\xff\xff\xff\x7f" + utf8("a"), CLOSE, "MQTT-4.8.0-1",
         "PUBLISH declaring 256 MB"),
    case("oversize-connect-256mb", V5, b"\x10\xff\xff\xff\x7f" + utf8("MQTT") + b"\x05",
         (CLOSE, connack(PACKET_TOO_LARGE)), "MQTT-4.8.0-1", "CONNECT declaring 256 MB", connected=False),
    case("oversize-subscribe-256mb", V5, b"\x82\xff\xff\xff\x7f" + u16(1), disconnect(PACKET_TOO_LARGE),
         "MQTT-3.2.2-15", "SUBSCRIBE declaring 256 MB"),
    case("oversize-publish-just-over", V5, publish("a", b"p" * (MIB - 6)), disconnect(PACKET_TOO_LARGE),
         "MQTT-3.2.2-15", "PUBLISH of 1 MiB + 1 byte, all sent"),
    case("oversize-publish-2mb-v311", V311, publish("a", b"p" * (2 * MIB), version=V311), CLOSE,
         "MQTT-4.8.0-1", "PUBLISH of 2 MiB, all sent"),
    case("oversize-publish-at-limit", V5, publish("a", b"p" * (MIB - 4 - 6), qos=1),
         reply((PUBACK, u16(1))), "MQTT-3.2.2-15", "PUBLISH of exactly 1 MiB: accepted"),
]

SLOW_PARTIAL = [
    case("slow-connect-slowloris", V5, _slow(connect("slow")[:7], 0.4), CLOSE, "MQTT5 3.1.4 / connect_timeout",
         "CONNECT trickled one byte per 0.4 s, never finished", connected=False),
    case("slow-connect-header-only", V5, (b"\x10", 2.0), CLOSE, "MQTT5 3.1.4 / connect_timeout",
         "first byte of CONNECT, then silence", connected=False),
    case("slow-connect-byte-by-byte", V5, _slow(connect("trickle"), 0.005), reply((0x20, b"\x00\x00")),
         "MQTT5 4.2", "a valid CONNECT split into one-byte writes: accepted", connected=False),
    case("slow-keepalive-silence", V5, (2.5,), (CLOSE, disconnect(KEEPALIVE_TIMEOUT)), "MQTT-3.1.2-22",
         "keepalive 1 s, then silence", keepalive=1),
    case("slow-keepalive-partial-packet", V5, (b"\x30\x0a\x00", 2.5), (CLOSE, disconnect(KEEPALIVE_TIMEOUT)),
         "MQTT-3.1.2-22", "keepalive 1 s, a partial PUBLISH, then silence", keepalive=1),
    case("slow-keepalive-silence-v311", V311, (2.5,), CLOSE, "MQTT-3.1.2-24",
         "keepalive 1 s, then silence", keepalive=1),
]

HALF_OPEN = [
    case("halfopen-silent", V5, (2.0,), CLOSE, "MQTT5 3.1.4 / connect_timeout", "TCP open, nothing sent",
         connected=False),
    case("halfopen-fin-after-connect", V5, SHUT_WR, CLOSE, "MQTT5 4.13", "FIN right after CONNACK"),
    case("halfopen-fin-mid-connect", V5, (connect("x")[:9], SHUT_WR), CLOSE, "MQTT5 4.13",
         "FIN in the middle of CONNECT", connected=False),
    case("halfopen-fin-mid-publish", V5, (b"\x30\x0a\x00\x01", SHUT_WR), CLOSE, "MQTT5 4.13",
         "FIN in the middle of PUBLISH"),
    case("halfopen-fin-v311", V311, SHUT_WR, CLOSE, "MQTT-4.8.0-1", "FIN right after CONNACK"),
]

SESSION_ABUSE = [
    case("session-takeover", V5, (), disconnect(SESSION_TAKEN_OVER), "MQTT-3.1.4-3",
         "another connection with the same client id", rival=True),
    case("session-takeover-v311", V311, (), CLOSE, "MQTT-3.1.4-2",
         "another connection with the same client id", rival=True),
    case("session-disconnect-expiry-raised", V5,
         packet(0xE0, b"\x00" + props(prop_u32(SESSION_EXPIRY, 60))), (CLOSE, disconnect(PROTOCOL_ERROR)),
         "MQTT5 3.14.2.2.2", "DISCONNECT raising a zero Session Expiry Interval"),
    case("session-auth-without-method", V5, packet(0xF0, b"\x18" + props()), SPEC_VIOLATION, "MQTT5 4.12",
         "AUTH without an authentication method in CONNECT"),
    case("session-disconnect-bad-flags", V5, b"\xe1\x00", (CLOSE, disconnect(MALFORMED)), "MQTT-2.1.3-1",
         "DISCONNECT with flags 0001"),
    case("session-publish-after-disconnect-v311", V311, DISCONNECT + publish("a", qos=1, version=V311), CLOSE,
         "MQTT-3.14.4-1", "PUBLISH after DISCONNECT: not acknowledged"),
    case("session-publish-after-disconnect", V5, DISCONNECT + publish("a", qos=1), CLOSE, "MQTT-3.14.4-1",
         "PUBLISH after DISCONNECT: not acknowledged"),
]
