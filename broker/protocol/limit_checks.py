"""Topic length and depth limits (``max_topic_length``, ``max_topic_levels`` in the ``broker:`` config).

MQTT allows topics of 65,535 bytes with any number of levels; every level costs a trie node and a
match step, so a hostile client could make each PUBLISH expensive. Like Mosquitto (200 levels) Perch
bounds the depth. A PUBLISH over a limit is a protocol violation (MQTT 5 DISCONNECT 0x90 Topic Name
invalid; 3.1.1 closes), a SUBSCRIBE filter over a limit gets its SUBACK failure (0x8F / 0x80), and a
will over a limit refuses the CONNECT (0x90).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from broker.codec import ReasonCode
from broker.protocol.errors import ConnectRefused, ProtocolViolation

if TYPE_CHECKING:
    from broker.protocol.limits import ProtocolLimits


def topic_limit_problem(limits: ProtocolLimits, topic: str) -> str | None:
    """Why ``topic`` (a name or filter) exceeds the limits, or None. Length counts UTF-8 bytes."""
    if len(topic) > limits.max_topic_length // 4 and len(topic.encode("utf-8")) > limits.max_topic_length:
        return f"topic longer than max_topic_length ({limits.max_topic_length} bytes)"
    if topic.count("/") >= limits.max_topic_levels:
        return f"topic deeper than max_topic_levels ({limits.max_topic_levels})"
    return None


def check_publish_topic(limits: ProtocolLimits, topic: str) -> None:
    problem = topic_limit_problem(limits, topic)
    if problem is not None:
        raise ProtocolViolation(ReasonCode.TOPIC_NAME_INVALID, problem)


def check_will_topic(limits: ProtocolLimits, topic: str) -> None:
    problem = topic_limit_problem(limits, topic)
    if problem is not None:
        raise ConnectRefused(ReasonCode.TOPIC_NAME_INVALID, f"will: {problem}")
