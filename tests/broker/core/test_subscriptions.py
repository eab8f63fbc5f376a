"""The subscription trie: one walk finds every client, merging overlaps; shared groups take turns."""

from __future__ import annotations

import random

import pytest

from broker.core.subscriptions import Subscription, SubscriptionTree
from broker.topics import filter_matches

FILTERS = ["#", "+", "a/#", "a/+", "a/b", "+/b", "a/+/c", "+/+/+", "$SYS/#", "b/#", "a/b/c/#"]
TOPICS = ["a", "a/b", "a/b/c", "a/x/c", "b", "b/b", "$SYS/x", "/b", "a/b/c/d", "x/y/z"]


def _online(client_id: str) -> bool:
    return True


def test_match_agrees_with_the_reference_rule_for_every_filter_and_topic():
    tree = SubscriptionTree()
    for index, topic_filter in enumerate(FILTERS):
        tree.add(Subscription(f"c{index}", topic_filter, 1))
    for topic in TOPICS:
        direct, _ = tree.match(topic, "", _online)
        expected = {f"c{i}" for i, f in enumerate(FILTERS) if filter_matches(f, topic)}
        assert set(direct) == expected, topic


def test_overlapping_subscriptions_merge_to_max_qos_and_all_identifiers():
    """[MQTT-3.3.4-2] one copy at the highest QoS; [MQTT-3.3.4-3] every subscription identifier."""
    tree = SubscriptionTree()
    tree.add(Subscription("c", "a/#", 0, identifier=1))
    tree.add(Subscription("c", "a/+", 2, identifier=2))
    tree.add(Subscription("c", "a/b", 1))
    direct, _ = tree.match("a/b", "", _online)
    assert direct["c"].qos == 2
    assert sorted(direct["c"].identifiers) == [1, 2]


def test_no_local_skips_the_publisher_only():
    """[MQTT-3.8.3-3]"""
    tree = SubscriptionTree()
    tree.add(Subscription("me", "t", 0, no_local=True))
    tree.add(Subscription("other", "t", 0, no_local=True))
    direct, _ = tree.match("t", "me", _online)
    assert set(direct) == {"other"}


def test_same_filter_replaces_and_remove_prunes():
    """[MQTT-3.8.4-3] a second SUBSCRIBE to the same filter replaces the first."""
    tree = SubscriptionTree()
    assert tree.add(Subscription("c", "a/b", 0)) is False
    assert tree.add(Subscription("c", "a/b", 2)) is True
    assert tree.count == 1
    assert tree.match("a/b", "", _online)[0]["c"].qos == 2
    assert tree.remove("c", "a/b") is True
    assert tree.remove("c", "a/b") is False
    assert tree.count == 0
    assert tree._root.is_empty()


def test_shared_group_members_take_turns_and_offline_members_are_skipped():
    """[MQTT-4.8.2-3] each message goes to one member of the group."""
    tree = SubscriptionTree()
    for member in ("m1", "m2", "m3"):
        tree.add(Subscription(member, "t/+", 1, share_group="g"))
    tree.add(Subscription("plain", "t/+", 1))
    picks = []
    for _ in range(6):
        direct, shared = tree.match("t/x", "", _online)
        assert set(direct) == {"plain"}
        assert len(shared) == 1
        picks.append(shared[0][0])
    assert picks == ["m1", "m2", "m3", "m1", "m2", "m3"]
    offline = {"m2"}
    picks = [tree.match("t/x", "", lambda c: c not in offline)[1][0][0] for _ in range(4)]
    assert "m2" not in picks
    assert set(picks) == {"m1", "m3"}


def test_two_groups_on_one_filter_each_get_a_copy():
    tree = SubscriptionTree()
    tree.add(Subscription("a", "t", 0, share_group="g1"))
    tree.add(Subscription("b", "t", 0, share_group="g2"))
    _, shared = tree.match("t", "", _online)
    assert sorted(client for client, _ in shared) == ["a", "b"]
    assert tree.remove("a", "t", "g1")
    _, shared = tree.match("t", "", _online)
    assert [client for client, _ in shared] == ["b"]


@pytest.mark.parametrize("seed", range(3))
def test_random_adds_and_removes_keep_matching_exact(seed):
    rng = random.Random(seed)
    tree = SubscriptionTree()
    live: set[tuple[str, str]] = set()
    for _ in range(300):
        client, topic_filter = f"c{rng.randrange(5)}", rng.choice(FILTERS)
        if rng.random() < 0.6:
            tree.add(Subscription(client, topic_filter, 0))
            live.add((client, topic_filter))
        else:
            assert tree.remove(client, topic_filter) is ((client, topic_filter) in live)
            live.discard((client, topic_filter))
    for topic in TOPICS:
        expected = {c for c, f in live if filter_matches(f, topic)}
        assert set(tree.match(topic, "", _online)[0]) == expected
