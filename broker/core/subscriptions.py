"""The subscription trie: one walk per published topic finds every matching client.

Each node is one topic level. Plain subscriptions hang on the node of their filter keyed by
client id; shared subscriptions (``$share/group/filter``) hang in a per-node group whose members
take turns (round robin, preferring connected members) [MQTT-4.8.2-3].
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from broker.topics import subscription_key

MATCH_CACHE_SIZE = 4096


@dataclass(slots=True)
class Subscription:
    """One client's subscription, as granted."""

    client_id: str
    topic_filter: str
    qos: int
    no_local: bool = False
    retain_as_published: bool = False
    retain_handling: int = 0
    identifier: int | None = None
    share_group: str | None = None

    @property
    def key(self) -> str:
        """How the session names this subscription (the filter as the client sent it)."""
        return subscription_key(self.topic_filter, self.share_group)


@dataclass(slots=True)
class Match:
    """What one client gets for one message: max QoS over its matching subscriptions and all their ids."""

    qos: int
    identifiers: tuple[int, ...]
    retain_as_published: bool


@dataclass(slots=True)
class SharedGroup:
    members: dict[str, Subscription] = field(default_factory=dict)
    cursor: int = 0

    def pick(self, is_online: Callable[[str], bool]) -> Subscription:
        """The next member in turn, skipping offline members unless all are offline."""
        members = list(self.members.values())
        count = len(members)
        for step in range(count):
            candidate = members[(self.cursor + step) % count]
            if is_online(candidate.client_id):
                self.cursor = (self.cursor + step + 1) % count
                return candidate
        chosen = members[self.cursor % count]
        self.cursor = (self.cursor + 1) % count
        return chosen


class _Node:
    __slots__ = ("children", "groups", "subscribers")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.subscribers: dict[str, Subscription] = {}
        self.groups: dict[str, SharedGroup] = {}

    def is_empty(self) -> bool:
        return not (self.children or self.subscribers or self.groups)


class SubscriptionTree:
    """Subscriptions of all clients, matched against topic names in one walk."""

    def __init__(self) -> None:
        self._root = _Node()
        self.count = 0
        self._cache: dict[str, tuple[dict[str, Match], list[SharedGroup], frozenset[str]]] = {}
        self.epoch = 0  # bumped on every change that can alter who receives what (see invalidate_routes)

    def invalidate_routes(self) -> None:
        """Forget cached matches and tell holders of routes (broker/protocol/fastpath.py) to rebuild.

        Called on every subscription change, and by the broker when a session gains or loses its
        connection, so a cached route never outlives the subscribers it names.
        """
        self._cache.clear()
        self.epoch += 1

    def add(self, subscription: Subscription) -> bool:
        """Add or replace a subscription; True when it replaced one with the same filter [MQTT-3.8.4-3]."""
        self.invalidate_routes()
        node = self._root
        for level in subscription.topic_filter.split("/"):
            node = node.children.setdefault(level, _Node())
        if subscription.share_group is None:
            table = node.subscribers
        else:
            table = node.groups.setdefault(subscription.share_group, SharedGroup()).members
        existed = subscription.client_id in table
        table[subscription.client_id] = subscription
        self.count += not existed
        return existed

    def remove(self, client_id: str, topic_filter: str, share_group: str | None = None) -> bool:
        """Remove a subscription; False when there was none. Empty branches are pruned."""
        self.invalidate_routes()
        path = [self._root]
        for level in topic_filter.split("/"):
            child = path[-1].children.get(level)
            if child is None:
                return False
            path.append(child)
        node = path[-1]
        if share_group is None:
            removed = node.subscribers.pop(client_id, None) is not None
        else:
            group = node.groups.get(share_group)
            removed = group is not None and group.members.pop(client_id, None) is not None
            if group is not None and not group.members:
                del node.groups[share_group]
        self.count -= removed
        self._prune(path, topic_filter.split("/"))
        return removed

    def _prune(self, path: list[_Node], levels: list[str]) -> None:
        for depth in range(len(levels), 0, -1):
            if not path[depth].is_empty():
                return
            del path[depth - 1].children[levels[depth - 1]]

    def _matching_nodes(self, topic: str) -> list[_Node]:
        levels = topic.split("/")
        skip_wildcards_at_root = topic.startswith("$")  # [MQTT-4.7.2-1]
        nodes = [self._root]
        found: list[_Node] = []
        for depth, level in enumerate(levels):
            wildcards_allowed = depth > 0 or not skip_wildcards_at_root
            next_nodes: list[_Node] = []
            for node in nodes:
                children = node.children
                if not children:
                    continue
                exact = children.get(level)
                if exact is not None:
                    next_nodes.append(exact)
                if wildcards_allowed:
                    multi = children.get("#")
                    if multi is not None:
                        found.append(multi)
                    single = children.get("+")
                    if single is not None:
                        next_nodes.append(single)
            nodes = next_nodes
            if not nodes:
                return found
        for node in nodes:
            found.append(node)
            multi = node.children.get("#")
            if multi is not None:
                found.append(multi)  # "a/#" also matches "a" [MQTT-4.7.1-2]
        return found

    def match(
        self, topic: str, publisher_id: str, is_online: Callable[[str], bool]
    ) -> tuple[dict[str, Match], list[tuple[str, Match]]]:
        """Per-client matches for plain subscriptions, plus one chosen member per shared group.

        Results are cached per topic until the next subscribe or unsubscribe (sensor topics
        repeat), so a steady stream of publishes costs one dict lookup here. The returned
        dict is shared: callers must not change it.
        """
        cached = self._cache.get(topic)
        if cached is None:
            cached = self._match_uncached(topic, "")
            if len(self._cache) >= MATCH_CACHE_SIZE:
                self._cache.clear()
            self._cache[topic] = cached
        direct, groups, no_local_clients = cached
        if publisher_id in no_local_clients:
            direct, groups, _ = self._match_uncached(topic, publisher_id)
        if not groups:
            return direct, []
        shared = []
        for group in groups:
            sub = group.pick(is_online)
            ids = (sub.identifier,) if sub.identifier else ()
            shared.append((sub.client_id, Match(sub.qos, ids, sub.retain_as_published)))
        return direct, shared

    def direct_matches(self, topic: str, publisher_id: str) -> dict[str, Match] | None:
        """The plain subscriptions matching ``topic``, or None when a shared group matches too
        (whose member is chosen per message). Unlike `match`, never advances a group's turn."""
        cached = self._cache.get(topic)
        if cached is None or publisher_id in cached[2]:
            direct, groups, _ = self._match_uncached(topic, publisher_id)
        else:
            direct, groups, _ = cached
        return None if groups else direct

    def _match_uncached(
        self, topic: str, publisher_id: str
    ) -> tuple[dict[str, Match], list[SharedGroup], frozenset[str]]:
        direct: dict[str, Match] = {}
        groups: list[SharedGroup] = []
        no_local_clients: set[str] = set()
        for node in self._matching_nodes(topic):
            for client_id, sub in node.subscribers.items():
                if sub.no_local:
                    no_local_clients.add(client_id)
                    if client_id == publisher_id:
                        continue  # [MQTT-3.8.3-3]
                found = direct.get(client_id)
                ids = (sub.identifier,) if sub.identifier else ()
                if found is None:
                    direct[client_id] = Match(sub.qos, ids, sub.retain_as_published)
                    continue
                found.qos = max(found.qos, sub.qos)
                found.retain_as_published = found.retain_as_published or sub.retain_as_published
                found.identifiers += ids
            groups.extend(node.groups.values())
        return direct, groups, frozenset(no_local_clients)
