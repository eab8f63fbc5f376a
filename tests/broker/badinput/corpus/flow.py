"""Corpus: Flow control (Receive Maximum 5) and packet identifiers."""

from __future__ import annotations

from tests.broker.badinput.cases import (
    CLOSE,
    PACKET_ID_NOT_FOUND,
    PUBACK,
    PUBCOMP,
    PUBREC,
    RECEIVE_MAXIMUM_EXCEEDED,
    SPEC_VIOLATION,
    case,
    disconnect,
    qos2_publishes,
    reply,
)
from tests.broker.badinput.wire import (
    V5,
    V311,
    packet,
    publish,
    pubrel,
    subscribe,
    u16,
    unsubscribe,
)

FLOW_CONTROL = [
    case(
        "flow-receive-maximum-exceeded",
        V5,
        qos2_publishes(1, 2, 3, 4, 5, 6),
        disconnect(RECEIVE_MAXIMUM_EXCEEDED),
        "MQTT-3.3.4-7",
        "six unreleased QoS 2 PUBLISHes against Receive Maximum 5",
    ),
    case(
        "flow-receive-maximum-released",
        V5,
        qos2_publishes(1, 2, 3, 4, 5) + pubrel(1) + qos2_publishes(6),
        reply(*[(PUBREC, u16(i)) for i in range(1, 6)], (PUBCOMP, u16(1)), (PUBREC, u16(6))),
        "MQTT-3.3.4-7",
        "a PUBREL frees a slot: the sixth QoS 2 is accepted",
    ),
    case(
        "flow-pubrel-unknown",
        V5,
        pubrel(7),
        reply((PUBCOMP, u16(7) + bytes([PACKET_ID_NOT_FOUND]))),
        "MQTT5 3.7.2.1",
        "PUBREL for a packet id never received: PUBCOMP 0x92",
    ),
    case(
        "flow-pubrel-unknown-v311",
        V311,
        pubrel(7),
        reply((PUBCOMP, u16(7))),
        "MQTT 3.1.1 3.6.4",
        "PUBREL for a packet id never received: PUBCOMP",
    ),
    case(
        "flow-puback-unknown",
        V5,
        packet(0x40, u16(9)),
        reply(),
        "MQTT5 4.3.2",
        "PUBACK for a message never sent: ignored, connection kept",
    ),
    case(
        "flow-qos1-burst",
        V5,
        b"".join(publish("fc", qos=1, packet_id=i) for i in range(1, 41)),
        reply(*[(PUBACK, u16(i)) for i in range(1, 41)]),
        "MQTT-4.6.0-2",
        "40 QoS 1 PUBLISHes in one write: 40 PUBACKs in order",
    ),
]

PACKET_IDS = [
    case(
        "ids-qos2-resent",
        V5,
        qos2_publishes(3) + publish("fc", qos=2, packet_id=3, flags=0x0C),
        reply((PUBREC, u16(3)), (PUBREC, u16(3))),
        "MQTT5 4.3.3",
        "QoS 2 resent before PUBREL: PUBREC again",
    ),
    case(
        "ids-qos2-resent-v311",
        V311,
        publish("fc", qos=2, packet_id=3, version=V311) * 2,
        reply((PUBREC, u16(3)), (PUBREC, u16(3))),
        "MQTT 3.1.1 4.3.3",
        "QoS 2 resent before PUBREL",
    ),
    case("ids-pubrel-0", V5, pubrel(0), SPEC_VIOLATION, "MQTT-2.2.1-3", "PUBREL with packet id 0"),
    case(
        "ids-qos2-0",
        V5,
        publish("fc", qos=2, packet_id=0),
        SPEC_VIOLATION,
        "MQTT-2.2.1-3",
        "QoS 2 with packet id 0",
    ),
    case(
        "ids-subscribe-0-v311",
        V311,
        subscribe([("a", 0)], packet_id=0, version=V311),
        CLOSE,
        "MQTT-2.3.1-1",
        "SUBSCRIBE with packet id 0",
    ),
    case(
        "ids-unsubscribe-0-v311",
        V311,
        unsubscribe(["a"], packet_id=0, version=V311),
        CLOSE,
        "MQTT-2.3.1-1",
        "UNSUBSCRIBE with packet id 0",
    ),
]
