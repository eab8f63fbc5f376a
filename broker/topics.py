"""Topic names and topic filters: validation, `$share` parsing and matching rules.

The codec checks that strings are well-formed UTF-8; this module owns what topics *mean*
(MQTT 5.0 section 4.7 and 4.8, MQTT 3.1.1 section 4.7).
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_TOPIC_BYTES = 65535
SHARE_PREFIX = "$share/"


class TopicError(ValueError):
    """A topic name or filter breaks the spec; ``spec_id`` names the statement."""

    def __init__(self, message: str, spec_id: str) -> None:
        super().__init__(f"{message} [{spec_id}]")
        self.spec_id = spec_id


def _check_common(text: str, kind: str) -> None:
    if not text:
        raise TopicError(f"{kind} must be at least one character long", "MQTT-4.7.3-1")
    if "\x00" in text:
        raise TopicError(f"{kind} must not contain U+0000", "MQTT-4.7.3-2")
    if len(text) * 4 > MAX_TOPIC_BYTES and len(text.encode()) > MAX_TOPIC_BYTES:
        raise TopicError(f"{kind} is longer than 65535 bytes", "MQTT-4.7.3-3")


def validate_topic_name(name: str) -> None:
    """Raise TopicError unless ``name`` may be published to (no wildcards) [MQTT-4.7.3-1..3]."""
    _check_common(name, "a topic name")
    if "+" in name or "#" in name:
        raise TopicError("a topic name must not contain wildcard characters", "MQTT-3.3.2-2")


def validate_topic_filter(topic_filter: str) -> None:
    """Raise TopicError unless ``topic_filter`` is a valid plain (non-shared) filter [MQTT-4.7.1-1..3]."""
    _check_common(topic_filter, "a topic filter")
    if "+" not in topic_filter and "#" not in topic_filter:
        return
    levels = topic_filter.split("/")
    for index, level in enumerate(levels):
        if "#" in level and (level != "#" or index != len(levels) - 1):
            raise TopicError("'#' must be a whole level and the last one", "MQTT-4.7.1-2")
        if "+" in level and level != "+":
            raise TopicError("'+' must occupy a whole level", "MQTT-4.7.1-3")


@dataclass(frozen=True, slots=True)
class ParsedFilter:
    """A subscription's filter split into its share group (or None) and the filter to match."""

    share_group: str | None
    topic_filter: str


def parse_filter(text: str) -> ParsedFilter:
    """Validate a SUBSCRIBE/UNSUBSCRIBE filter, splitting ``$share/group/filter`` [MQTT-4.8.2-1/2]."""
    if not text.startswith(SHARE_PREFIX):
        validate_topic_filter(text)
        return ParsedFilter(None, text)
    rest = text[len(SHARE_PREFIX) :]
    group, separator, topic_filter = rest.partition("/")
    if not separator or not topic_filter:
        raise TopicError("a shared subscription needs $share/<group>/<filter>", "MQTT-4.8.2-2")
    if not group or "+" in group or "#" in group:
        raise TopicError("a share name must be non-empty and contain no wildcards", "MQTT-4.8.2-1")
    validate_topic_filter(topic_filter)
    return ParsedFilter(group, topic_filter)


def subscription_key(topic_filter: str, share_group: str | None) -> str:
    """How a session names a subscription: the filter as sent (``$share/group/filter`` if shared)."""
    if share_group is None:
        return topic_filter
    return f"$share/{share_group}/{topic_filter}"


def is_system_topic(name: str) -> bool:
    """Topics starting with '$' are not matched by filters starting with a wildcard [MQTT-4.7.2-1]."""
    return name.startswith("$")


def filter_matches(topic_filter: str, name: str) -> bool:
    """Whether a plain filter matches a topic name (the reference rule the tries implement)."""
    if is_system_topic(name) and topic_filter[:1] in ("+", "#"):
        return False
    filter_levels = topic_filter.split("/")
    name_levels = name.split("/")
    for index, level in enumerate(filter_levels):
        if level == "#":
            return True
        if index >= len(name_levels):
            return False
        if level != "+" and level != name_levels[index]:
            return False
    return len(filter_levels) == len(name_levels)
