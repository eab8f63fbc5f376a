"""Malformed input and protocol errors at the socket level: the offender is closed, with the MQTT 5 reason
code where the spec gives one (4.13), and a bystander streaming QoS 1 messages loses nothing."""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.interop import raw
from tests.interop.brokers import unique_id
from tests.interop.bystander import Bystander

pytestmark = pytest.mark.interop

MALFORMED, PROTOCOL_ERROR, RECEIVE_MAXIMUM_EXCEEDED = 0x81, 0x82, 0x93
TOPIC_INVALID, ALIAS_INVALID, PACKET_TOO_LARGE = 0x90, 0x94, 0x95


@dataclass(frozen=True)
class Violation:
    """Bytes that break one rule, sent after a successful CONNECT unless ``connect_first`` is False."""

    name: str
    spec: str
    build: Callable[[raw.Packet], bytes]
    reasons: frozenset[int] = frozenset()  # acceptable v5 DISCONNECT reason codes; empty: close silently
    version: int = 5
    connect_first: bool = True


def always(data: bytes) -> Callable[[raw.Packet], bytes]:
    return lambda _connack: data


def over_receive_maximum(connack: raw.Packet) -> bytes:
    """Receive Maximum + 1 QoS 2 PUBLISH packets, none released: one more than the server allows in flight."""
    (maximum,) = connack.props.get(raw.RECEIVE_MAXIMUM, [65535])
    return b"".join(raw.publish("malformed/rm", b"x", qos=2, packet_id=n) for n in range(1, maximum + 2))


def over_maximum_packet_size(connack: raw.Packet) -> bytes:
    (maximum,) = connack.props.get(raw.MAXIMUM_PACKET_SIZE, [None])
    assert maximum is not None, (
        "the broker advertises no Maximum Packet Size, so oversize input cannot be judged"
    )
    return raw.publish("malformed/big", b"x" * maximum)


def publish_with_alias(alias: int, topic: str = "malformed/alias") -> Callable[[raw.Packet], bytes]:
    return always(raw.publish(topic, b"x", props=((raw.TOPIC_ALIAS, alias),)))


def alias_above_maximum(connack: raw.Packet) -> bytes:
    (maximum,) = connack.props.get(raw.TOPIC_ALIAS_MAXIMUM, [0])
    return raw.publish("malformed/alias", b"x", props=((raw.TOPIC_ALIAS, maximum + 1),))


def publish_body(topic: bytes, flags: int = 0) -> bytes:
    return raw.packet((raw.PUBLISH << 4) | flags, raw.utf8(topic) + raw.properties())


def subscribe_with(topic_filter: str, options: int) -> bytes:
    return raw.subscribe(1, [(topic_filter, options)])


PUBLISH_QOS1_ID_0 = raw.publish("a", b"x", qos=1, packet_id=0)
SUBSCRIBE_ID_0 = raw.subscribe(0, [("a", 1)])
SUBSCRIBE_SUB_ID_0 = raw.subscribe(1, [("a", 1)], props=((raw.SUBSCRIPTION_ID, 0),))
SUBSCRIBE_QOS_3_V311 = raw.subscribe(1, [("a", 3)], version=4)
UNSUBSCRIBE_WITHOUT_FILTERS = raw.packet((raw.UNSUBSCRIBE << 4) | 0x02, b"\x00\x01\x00")


SUBSCRIBE_FLAGS_0_V5 = raw.packet(0x80, b"\x00\x01\x00" + raw.utf8("a") + b"\x00")
SUBSCRIBE_FLAGS_0_V311 = raw.packet(0x80, b"\x00\x01" + raw.utf8("a") + b"\x00")
SUBSCRIBE_WITHOUT_FILTERS = raw.packet(0x82, b"\x00\x01\x00")
PUBLISH_WITH_SESSION_EXPIRY = raw.publish("a", b"x", props=((raw.SESSION_EXPIRY, 5),))
FIVE_BYTE_REMAINING_LENGTH = b"\x30\xff\xff\xff\xff\x01"

VIOLATIONS = [
    Violation("fixed-header-flags", "[MQTT-2.1.3-1]", always(SUBSCRIBE_FLAGS_0_V5), {MALFORMED}),
    Violation("fixed-header-flags-v311", "[MQTT-3.8.1-1]", always(SUBSCRIBE_FLAGS_0_V311), version=4),
    Violation("remaining-length-5-bytes", "1.5.5", always(FIVE_BYTE_REMAINING_LENGTH), {MALFORMED}),
    Violation("reserved-packet-type-0", "2.1.2", always(b"\x00\x00"), {MALFORMED, PROTOCOL_ERROR}),
    Violation("first-packet-not-connect", "[MQTT-3.1.0-1]", always(raw.publish("a")), connect_first=False),
    Violation("second-connect", "[MQTT-3.1.0-2]", always(raw.connect("again")), {PROTOCOL_ERROR}),
    Violation("second-connect-v311", "[MQTT-3.1.0-2]", always(raw.connect("again", version=4)), version=4),
    Violation("qos-3", "[MQTT-3.3.1-4]", always(publish_body(b"a", flags=0x06)), {MALFORMED}),
    Violation(
        "invalid-utf8-topic",
        "[MQTT-1.5.4-1]",
        always(publish_body(b"bad\xc3\x28")),
        {MALFORMED, TOPIC_INVALID},
    ),
    Violation(
        "null-character-topic", "[MQTT-1.5.4-2]", always(publish_body(b"a\x00b")), {MALFORMED, TOPIC_INVALID}
    ),
    Violation(
        "wildcard-in-topic", "[MQTT-3.3.2-2]", always(publish_body(b"a/+/b")), {TOPIC_INVALID, PROTOCOL_ERROR}
    ),
    Violation(
        "subscribe-no-filters",
        "[MQTT-3.8.3-2]",
        always(SUBSCRIBE_WITHOUT_FILTERS),
        {PROTOCOL_ERROR, MALFORMED},
    ),
    Violation(
        "property-not-allowed", "2.2.2.2", always(PUBLISH_WITH_SESSION_EXPIRY), {MALFORMED, PROTOCOL_ERROR}
    ),
    Violation("topic-alias-zero", "[MQTT-3.3.2-8]", publish_with_alias(0), {ALIAS_INVALID}),
    Violation("topic-alias-above-maximum", "[MQTT-3.3.2-9]", alias_above_maximum, {ALIAS_INVALID}),
    Violation(
        "empty-topic-unknown-alias", "3.3.2.3.4", publish_with_alias(1, ""), {PROTOCOL_ERROR, ALIAS_INVALID}
    ),
    Violation("receive-maximum-exceeded", "3.2.2.3.3", over_receive_maximum, {RECEIVE_MAXIMUM_EXCEEDED}),
    Violation("packet-over-maximum-size", "[MQTT-3.2.2-15]", over_maximum_packet_size, {PACKET_TOO_LARGE}),
    Violation("qos0-with-dup", "[MQTT-3.3.1-2]", always(publish_body(b"a", flags=0x08)), {MALFORMED}),
    Violation(
        "pubrel-bad-flags", "[MQTT-3.6.1-1]", always(raw.packet(raw.PUBREL << 4, b"\x00\x01")), {MALFORMED}
    ),
    Violation(
        "no-local-on-shared", "[MQTT-3.8.3-4]", always(subscribe_with("$share/g/a", 0x05)), {PROTOCOL_ERROR}
    ),
    Violation("subscribe-reserved-bits", "[MQTT-3.8.3-5]", always(subscribe_with("a", 0xC1)), {MALFORMED}),
    Violation("retain-handling-3", "3.8.3.1", always(subscribe_with("a", 0x31)), {PROTOCOL_ERROR, MALFORMED}),
    Violation(
        "unsubscribe-no-filters",
        "[MQTT-3.10.3-2]",
        always(UNSUBSCRIBE_WITHOUT_FILTERS),
        {PROTOCOL_ERROR, MALFORMED},
    ),
    Violation(
        "auth-without-method", "4.12", always(raw.packet(raw.AUTH << 4, b"\x18\x00")), {PROTOCOL_ERROR}
    ),
    Violation(
        "publish-packet-id-0", "[MQTT-2.2.1-3]", always(PUBLISH_QOS1_ID_0), {MALFORMED, PROTOCOL_ERROR}
    ),
    Violation("subscribe-packet-id-0", "[MQTT-2.2.1-3]", always(SUBSCRIBE_ID_0), {MALFORMED, PROTOCOL_ERROR}),
    Violation("subscription-id-0", "3.8.2.1.2", always(SUBSCRIBE_SUB_ID_0), {PROTOCOL_ERROR, MALFORMED}),
    Violation("subscribe-qos-3-v311", "[MQTT-3.8.3-4]", always(SUBSCRIBE_QOS_3_V311), version=4),
]


def connect_with(flags: int, payload: bytes, name: bytes = b"MQTT", level: int = 5) -> bytes:
    """A CONNECT with hand-set flags; ``payload`` follows the (empty, for v5) property block."""
    props = raw.properties() if level == 5 else b""
    header = raw.utf8(name) + bytes([level, flags]) + struct.pack("!H", 30) + props
    return raw.packet(raw.CONNECT << 4, header + payload)


@dataclass(frozen=True)
class BadConnect:
    """A CONNECT that breaks a rule: the server may answer with a CONNACK failure code, then must close."""

    name: str
    spec: str
    data: bytes
    connack_codes: frozenset[int]


CLIENT_ID = raw.utf8("bad-connect")
BAD_CONNECTS = [
    BadConnect("reserved-flag", "[MQTT-3.1.2-3]", connect_with(0x03, CLIENT_ID), {MALFORMED, PROTOCOL_ERROR}),
    BadConnect(
        "will-qos-3",
        "[MQTT-3.1.2-12]",
        connect_with(0x1E, CLIENT_ID + b"\x00" + raw.utf8("w") * 2),
        {MALFORMED},
    ),
    BadConnect("will-retain-without-will", "[MQTT-3.1.2-13]", connect_with(0x22, CLIENT_ID), {MALFORMED}),
    BadConnect(
        "password-without-username-v311",
        "[MQTT-3.1.2-22]",
        connect_with(0x42, CLIENT_ID + raw.utf8("pw"), level=4),
        set(),
    ),
    BadConnect(
        "protocol-name",
        "[MQTT-3.1.2-1]",
        connect_with(0x02, CLIENT_ID, name=b"MQTX"),
        {0x84, MALFORMED, PROTOCOL_ERROR},
    ),
    BadConnect("protocol-level-9", "[MQTT-3.1.2-2]", connect_with(0x02, CLIENT_ID, level=9), {0x01, 0x84}),
    BadConnect(
        "client-id-invalid-utf8",
        "[MQTT-1.5.4-1]",
        connect_with(0x02, raw.utf8(b"\xc3\x28")),
        {MALFORMED, 0x85},
    ),
]


@pytest.fixture
def bystander(paho) -> Bystander:
    return Bystander(publisher=paho(), subscriber=paho(version=4))


@pytest.mark.parametrize("violation", VIOLATIONS, ids=lambda violation: violation.name)
def test_violation_closes_only_the_offender(broker_under_test, bystander, violation):
    """[MQTT-4.13.1-1] a Malformed Packet or Protocol Error closes the connection; MQTT 5 sends DISCONNECT
    with the reason code first (4.13.2); the bystander's QoS 1 stream is untouched. Cases cite their rule."""
    client = raw.RawClient(broker_under_test.host, broker_under_test.port)
    client.version = violation.version
    with client:
        if violation.connect_first:
            client.send(raw.connect(unique_id("offender"), version=violation.version))
            connack = client.expect(raw.CONNACK)
            assert raw.reason_code(connack) == 0
        else:
            connack = raw.Packet(raw.CONNACK, 0, b"\x00\x00")
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # closed while we still wrote
            client.send(violation.build(connack))
        received = client.read_until_closed(timeout=5.0)
    answers = [(pkt.kind, raw.reason_code(pkt)) for pkt in received if pkt.kind != raw.PUBREC]
    if violation.reasons:
        assert len(answers) == 1, f"expected one DISCONNECT before the close, got {answers}"
        kind, reason = answers[0]
        assert kind == raw.DISCONNECT and reason in violation.reasons, f"{violation.spec}: got {answers}"
    else:
        assert answers == [], f"{violation.spec}: a 3.1.1 / pre-CONNACK error closes without a reply"
    bystander.check()


def broker_rss_kib(pid: int) -> int:
    for line in open(f"/proc/{pid}/status").read().splitlines():  # noqa: SIM115 (proc file, read at once)
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS line")


def test_huge_declared_length_is_not_preallocated(broker_under_test, bystander):
    """2.1.4: a PUBLISH declaring the largest Remaining Length (268,435,455 bytes) but sending 64 KiB: the
    broker must not reserve the declared size; with a Maximum Packet Size below it, it sends DISCONNECT 0x95
    and closes (3.2.2.3.6)."""
    client, connack = raw.connect_raw(broker_under_test.host, broker_under_test.port, unique_id("huge"))
    rss_before = broker_rss_kib(broker_under_test.pid)
    with client:
        header = bytes([raw.PUBLISH << 4]) + raw.varint(268_435_455) + raw.utf8("malformed/huge") + b"\x00"
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            client.send(header + b"x" * 65536)
        if raw.MAXIMUM_PACKET_SIZE in connack.props:
            answers = [(pkt.kind, raw.reason_code(pkt)) for pkt in client.read_until_closed(timeout=5.0)]
            assert answers == [(raw.DISCONNECT, PACKET_TOO_LARGE)]
        else:
            assert client.is_silent(1.0)
        assert broker_rss_kib(broker_under_test.pid) - rss_before < 100 * 1024
    bystander.check()


def test_client_that_never_sends_connect_is_dropped(broker_under_test, bystander):
    """[MQTT-3.1.4-1]/4.13: a connection that sends no CONNECT is closed after a reasonable time
    (Perch: broker.connect_timeout, 3 s in this suite, 10 s by default); no CONNACK is sent to it."""
    with raw.RawClient(broker_under_test.host, broker_under_test.port) as idle:
        assert idle.read_until_closed(timeout=15.0) == []
    bystander.check()


@pytest.mark.parametrize("bad", BAD_CONNECTS, ids=lambda bad: bad.name)
def test_bad_connect_is_refused_and_closed(broker_under_test, bystander, bad):
    """[MQTT-4.13.1-1] an invalid CONNECT closes the connection; the server may first send a CONNACK with a
    failure reason code (3.2.2.2; in 3.1.1 0x01 for the level), never a success. Cases cite their rule."""
    with raw.RawClient(broker_under_test.host, broker_under_test.port) as client:
        client.version = 4  # read CONNACK codes from their fixed place, whatever the level
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            client.send(bad.data)
        received = client.read_until_closed(timeout=5.0)
    answers = [(pkt.kind, raw.reason_code(pkt)) for pkt in received]
    assert answers in ([], *([(raw.CONNACK, code)] for code in bad.connack_codes)), (
        f"{bad.spec}: got {answers}"
    )
    bystander.check()
