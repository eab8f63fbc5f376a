"""Topic names, filters and shared subscription syntax (MQTT 5.0 sections 4.7 and 4.8)."""

from __future__ import annotations

import pytest

from broker.topics import (
    TopicError,
    filter_matches,
    parse_filter,
    validate_topic_filter,
    validate_topic_name,
)


@pytest.mark.parametrize(
    ("name", "spec_id"),
    [
        ("", "MQTT-4.7.3-1"),
        ("a/\x00", "MQTT-4.7.3-2"),
        ("a" * 65536, "MQTT-4.7.3-3"),
        ("a/+", "MQTT-3.3.2-2"),
        ("a/#", "MQTT-3.3.2-2"),
    ],
)
def test_invalid_topic_names_are_refused(name, spec_id):
    with pytest.raises(TopicError) as caught:
        validate_topic_name(name)
    assert caught.value.spec_id == spec_id


@pytest.mark.parametrize("name", ["a", "/", "a//b", "$SYS/x", "ü/€", " "])
def test_valid_topic_names(name):
    validate_topic_name(name)


@pytest.mark.parametrize(
    ("topic_filter", "spec_id"),
    [
        ("a/#/b", "MQTT-4.7.1-2"),
        ("a#", "MQTT-4.7.1-2"),
        ("a/b+", "MQTT-4.7.1-3"),
        ("+a", "MQTT-4.7.1-3"),
        ("", "MQTT-4.7.3-1"),
    ],
)
def test_invalid_filters_are_refused(topic_filter, spec_id):
    with pytest.raises(TopicError) as caught:
        validate_topic_filter(topic_filter)
    assert caught.value.spec_id == spec_id


@pytest.mark.parametrize("topic_filter", ["#", "+", "+/+", "a/+/c", "a/#", "/+", "+/#"])
def test_valid_filters(topic_filter):
    validate_topic_filter(topic_filter)


def test_shared_filter_is_split_into_group_and_filter():
    parsed = parse_filter("$share/group/a/+/c")
    assert (parsed.share_group, parsed.topic_filter) == ("group", "a/+/c")
    assert parse_filter("a/b").share_group is None


@pytest.mark.parametrize(
    ("text", "spec_id"),
    [("$share/group", "MQTT-4.8.2-2"), ("$share//a", "MQTT-4.8.2-1"), ("$share/g+/a", "MQTT-4.8.2-1")],
)
def test_bad_shared_filters(text, spec_id):
    with pytest.raises(TopicError) as caught:
        parse_filter(text)
    assert caught.value.spec_id == spec_id


@pytest.mark.parametrize(
    ("topic_filter", "name", "expected"),
    [
        ("sport/#", "sport", True),  # [MQTT-4.7.1-2] "#" includes the parent level
        ("sport/#", "sport/tennis/player1", True),
        ("sport/+", "sport", False),
        ("sport/+", "sport/", True),
        ("+/+", "/finance", True),
        ("+", "/finance", False),
        ("#", "$SYS/uptime", False),  # [MQTT-4.7.2-1]
        ("+/uptime", "$SYS/uptime", False),
        ("$SYS/#", "$SYS/uptime", True),
        ("a/b", "a/b", True),
        ("a/b", "a/c", False),
    ],
)
def test_filter_matching_rules(topic_filter, name, expected):
    assert filter_matches(topic_filter, name) is expected
