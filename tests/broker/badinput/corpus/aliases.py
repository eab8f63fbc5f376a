"""Corpus: Topic aliases (the broker accepts up to 10)."""

from __future__ import annotations

from tests.broker.badinput.cases import (
    PROTOCOL_ERROR,
    PUBACK,
    TOPIC_ALIAS_INVALID,
    aliased,
    case,
    disconnect,
    reply,
)
from tests.broker.badinput.wire import (
    TOPIC_ALIAS,
    V5,
    prop_u16,
    props,
    publish,
    u16,
)

TOPIC_ALIASES = [
    case("alias-zero", V5, aliased(0, "a"), disconnect(TOPIC_ALIAS_INVALID), "MQTT-3.3.2-8", "topic alias 0"),
    case(
        "alias-above-maximum",
        V5,
        aliased(11, "a"),
        disconnect(TOPIC_ALIAS_INVALID),
        "MQTT-3.3.2-9",
        "topic alias 11, maximum 10",
    ),
    case(
        "alias-65535",
        V5,
        aliased(65535, "a"),
        disconnect(TOPIC_ALIAS_INVALID),
        "MQTT-3.3.2-9",
        "topic alias 65535",
    ),
    case(
        "alias-unknown",
        V5,
        aliased(1),
        disconnect(PROTOCOL_ERROR),
        "MQTT5 3.3.2.3.4",
        "empty topic with an alias never set",
    ),
    case(
        "alias-twice",
        V5,
        aliased(1, "a", prop_u16(TOPIC_ALIAS, 2)),
        disconnect(PROTOCOL_ERROR),
        "MQTT5 2.2.2.2",
        "Topic Alias property twice",
    ),
    case(
        "alias-set-then-used",
        V5,
        publish("a/b", qos=1, packet_id=1, properties=props(prop_u16(TOPIC_ALIAS, 1)))
        + publish("", qos=1, packet_id=2, properties=props(prop_u16(TOPIC_ALIAS, 1))),
        reply((PUBACK, u16(1)), (PUBACK, u16(2))),
        "MQTT5 3.3.2.3.4",
        "an alias set, then used: accepted",
    ),
]
