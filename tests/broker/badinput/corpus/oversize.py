"""Corpus: Oversize: packets declaring 256 MB and packets just over max_packet_size (1 MiB)."""

from __future__ import annotations

from tests.broker.badinput.cases import (
    CLOSE,
    MIB,
    PACKET_TOO_LARGE,
    PUBACK,
    case,
    connack,
    disconnect,
    reply,
)
from tests.broker.badinput.wire import (
    V5,
    V311,
    publish,
    u16,
    utf8,
)

OVERSIZE = [
    case(
        "oversize-publish-256mb",
        V5,
        b"\x30\xff\xff\xff\x7f" + utf8("a"),
        disconnect(PACKET_TOO_LARGE),
        "MQTT-3.2.2-15",
        "PUBLISH declaring 256 MB, 3 bytes sent",
    ),
    case(
        "oversize-publish-256mb-v311",
        V311,
        b"\x30\xff\xff\xff\x7f" + utf8("a"),
        CLOSE,
        "MQTT-4.8.0-1",
        "PUBLISH declaring 256 MB",
    ),
    case(
        "oversize-connect-256mb",
        V5,
        b"\x10\xff\xff\xff\x7f" + utf8("MQTT") + b"\x05",
        (CLOSE, connack(PACKET_TOO_LARGE)),
        "MQTT-4.8.0-1",
        "CONNECT declaring 256 MB",
        connected=False,
    ),
    case(
        "oversize-subscribe-256mb",
        V5,
        b"\x82\xff\xff\xff\x7f" + u16(1),
        disconnect(PACKET_TOO_LARGE),
        "MQTT-3.2.2-15",
        "SUBSCRIBE declaring 256 MB",
    ),
    case(
        "oversize-publish-just-over",
        V5,
        publish("a", b"p" * (MIB - 6)),
        disconnect(PACKET_TOO_LARGE),
        "MQTT-3.2.2-15",
        "PUBLISH of 1 MiB + 2 bytes, all sent",
    ),
    case(
        "oversize-publish-2mb-v311",
        V311,
        publish("a", b"p" * (2 * MIB), version=V311),
        CLOSE,
        "MQTT-4.8.0-1",
        "PUBLISH of 2 MiB, all sent",
    ),
    case(
        "oversize-publish-at-limit",
        V5,
        publish("a", b"p" * (MIB - 4 - 6), qos=1),
        reply((PUBACK, u16(1))),
        "MQTT-3.2.2-15",
        "PUBLISH of exactly 1 MiB: accepted",
    ),
]
