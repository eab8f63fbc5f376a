"""Retained messages: stored per topic, replaced, deleted by an empty payload, matched by filter, expired."""

from __future__ import annotations

from broker.core import retained
from broker.core.messages import Message
from broker.core.retained import RetainedStore
from broker.topics import filter_matches


def _topics(store: RetainedStore, topic_filter: str, now: float = 0.0) -> set[str]:
    return {message.topic for message in store.match(topic_filter, now)}


def test_store_replace_and_delete_with_empty_payload():
    """[MQTT-3.3.1-5] replaced; [MQTT-3.3.1-10/11] an empty retained payload deletes it."""
    store = RetainedStore()
    store.store(Message("a/b", b"1", retain=True))
    store.store(Message("a/b", b"2", retain=True))
    assert [m.payload for m in store.match("a/b", 0)] == [b"2"]
    assert store.count == 1
    store.store(Message("a/b", b"", retain=True))
    assert store.match("a/b", 0) == []
    assert store.count == 0
    assert not store._root.children


def test_wildcards_and_dollar_topics():
    store = RetainedStore()
    for topic in ("a", "a/b", "a/b/c", "x/b", "$SYS/up"):
        store.store(Message(topic, b"v", retain=True))
    assert _topics(store, "#") == {"a", "a/b", "a/b/c", "x/b"}  # [MQTT-4.7.2-1]
    assert _topics(store, "a/#") == {"a", "a/b", "a/b/c"}
    assert _topics(store, "+/b") == {"a/b", "x/b"}
    assert _topics(store, "+") == {"a"}
    assert _topics(store, "$SYS/#") == {"$SYS/up"}


def test_expired_retained_messages_are_not_delivered_and_are_pruned():
    """[MQTT-3.3.2-5] an expired message is not sent to new subscribers."""
    store = RetainedStore()
    store.store(Message("t", b"v", retain=True, expires_at=10.0))
    assert _topics(store, "t", now=9.0) == {"t"}
    assert _topics(store, "t", now=10.0) == set()
    assert store.remove_expired(11.0) == 1
    assert store.count == 0


def test_store_is_bounded():
    store = RetainedStore(max_messages=2)
    assert store.store(Message("a", b"1"))
    assert store.store(Message("b", b"1"))
    assert not store.store(Message("c", b"1"))
    assert store.store(Message("a", b"2"))  # replacing is always allowed
    assert store.count == 2


def test_expiry_sweep_visits_only_messages_with_an_expiry(monkeypatch):
    """The periodic sweep is O(expired): messages without expiry are not in the heap nor walked."""
    store = RetainedStore()
    for index in range(500):
        store.store(Message(f"plain/{index}", b"v", retain=True))
    store.store(Message("soon/a", b"v", retain=True, expires_at=5.0))
    store.store(Message("later/b", b"v", retain=True, expires_at=50.0))
    assert len(store._expiries) == 2

    def no_walk(*args, **kwargs):
        raise AssertionError("the sweep must not walk the whole tree")

    monkeypatch.setattr(store, "_collect", no_walk)
    monkeypatch.setattr(retained, "_subtree", no_walk)
    assert store.remove_expired(4.0) == 0
    assert store.remove_expired(5.0) == 1  # [MQTT-3.3.2-5]
    assert len(store._expiries) == 1
    assert store.count == 501
    assert store.remove_expired(60.0) == 1
    assert store.count == 500 and not store._expiries


def test_replaced_or_cleared_expiring_message_is_not_swept_again():
    """Lazy deletion: a heap entry for a replaced or deleted message is dropped, not applied."""
    store = RetainedStore()
    store.store(Message("t", b"1", retain=True, expires_at=5.0))
    store.store(Message("t", b"2", retain=True))  # replaced by one without expiry
    store.store(Message("u", b"1", retain=True, expires_at=5.0))
    store.store(Message("u", b"", retain=True))  # cleared [MQTT-3.3.1-10]
    store.store(Message("u", b"3", retain=True, expires_at=9.0))
    assert store.remove_expired(6.0) == 0
    assert [m.payload for m in store.match("t", 6.0)] == [b"2"]
    assert [m.payload for m in store.match("u", 6.0)] == [b"3"]
    assert store.remove_expired(9.0) == 1
    assert store.count == 1


def test_expiry_heap_is_compacted_when_expiring_topics_are_republished():
    store = RetainedStore()
    for index in range(1000):
        store.store(Message("t", str(index).encode(), retain=True, expires_at=100.0 + index))
    assert len(store._expiries) <= 2 * store.count + 64
    assert store.remove_expired(1098.0) == 0
    assert store.remove_expired(1099.0) == 1 and store.count == 0


_TOPICS = (
    "a",
    "a/b",
    "a/b/c",
    "a/c",
    "a/c/d",
    "x/b",
    "x/y/b",
    "/lead",
    "trail/",
    "$SYS/up",
    "$SYS/a/b",
    "$x",
)
_FILTERS = (
    "#",
    "a/#",
    "a/+",
    "+/b",
    "+/+/b",
    "+",
    "+/#",
    "a/+/#",
    "/#",
    "+/",
    "$SYS/#",
    "$SYS/+/b",
    "a/b/c/#",
)


def _reference(store_topics: set[str], topic_filter: str) -> set[str]:
    return {topic for topic in store_topics if filter_matches(topic_filter, topic)}


def test_every_filter_matches_what_the_reference_rule_says():
    """The trie walk and the '#' index agree with filter_matches, '$' topics included [MQTT-4.7.2-1]."""
    store = RetainedStore()
    for topic in _TOPICS:
        store.store(Message(topic, b"v", retain=True))
    for topic_filter in _FILTERS:
        found = store.match(topic_filter, 0.0)
        assert len(found) == len({m.topic for m in found}), topic_filter  # each message once
        assert {m.topic for m in found} == _reference(set(_TOPICS), topic_filter), topic_filter


def test_wildcard_index_follows_replacement_deletion_expiry_and_a_full_store():
    """'#' stays right as messages are replaced, deleted [MQTT-3.3.1-10/11], expire, or do not fit."""
    store = RetainedStore(max_messages=4)
    store.store(Message("a/b", b"1", retain=True))
    store.store(Message("a/b", b"2", retain=True))
    store.store(Message("c", b"1", retain=True, expires_at=5.0))
    store.store(Message("$SYS/x", b"1", retain=True))
    store.store(Message("d", b"1", retain=True))
    assert not store.store(Message("e", b"1", retain=True))  # full: not kept, not indexed
    assert [(m.topic, m.payload) for m in store.match("#", 0.0)] == [("a/b", b"2"), ("c", b"1"), ("d", b"1")]
    assert [m.topic for m in store.match("#", 5.0)] == ["a/b", "d"]  # [MQTT-3.3.2-5]
    store.store(Message("a/b", b"", retain=True))
    assert store.remove_expired(5.0) == 1
    assert [m.topic for m in store.match("#", 5.0)] == ["d"]
    assert [m.topic for m in store.match("$SYS/#", 5.0)] == ["$SYS/x"]


def test_matches_come_in_stored_order_and_survive_a_deep_tree():
    """An explicit stack, not recursion: a tree deeper than Python's recursion limit still matches."""
    store = RetainedStore()
    for topic in ("m/3", "m/1", "m/2/z", "m/2"):
        store.store(Message(topic, b"v", retain=True))
    assert [m.topic for m in store.match("m/#", 0.0)] == ["m/3", "m/1", "m/2", "m/2/z"]
    assert [m.topic for m in store.match("m/+", 0.0)] == ["m/3", "m/1", "m/2"]
    deep = "/".join(["d"] * 3000)
    store.store(Message(deep, b"v", retain=True))
    assert [m.topic for m in store.match("d/#", 0.0)] == [deep]
    assert [m.topic for m in store.match("+/" * 2999 + "+", 0.0)] == [deep]
