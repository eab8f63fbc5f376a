"""Retained messages in their own trie, looked up by topic filter when a client subscribes.

Messages with an expiry are also kept in a heap keyed by ``expires_at`` so the periodic sweep
costs O(expired) rather than a walk over every retained message. Messages whose topic does not
start with '$' are also indexed by topic, so a subscription to '#' (a dashboard or a phone app
showing everything) takes them all without a walk. Lookups collect into a list with an explicit
stack: no recursion, no nested generators.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from broker.core.messages import Delivery, Message


class _Node:
    __slots__ = ("children", "message")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.message: Message | None = None


@dataclass(slots=True)
class RetainedDeliveries:
    """The retained messages one new subscription receives [MQTT-3.3.1-6], RETAIN set [MQTT-3.3.1-8].

    Kept as one list with the subscription's granted QoS and identifiers rather than a
    ``Delivery`` per message: most go out as QoS 0 bytes that need no per-message record.
    Each message goes at the lower of its own QoS and the granted one [MQTT-3.8.4-8].
    """

    messages: list[Message]
    granted_qos: int
    subscription_ids: tuple[int, ...] = ()

    def __len__(self) -> int:
        return len(self.messages)

    def __iter__(self) -> Iterator[Delivery]:
        granted, ids = self.granted_qos, self.subscription_ids
        for message in self.messages:
            yield Delivery(message, min(message.qos, granted), True, ids)


class RetainedStore:
    """The last retained message per topic; an empty payload deletes [MQTT-3.3.1-10/11]."""

    def __init__(self, max_messages: int = 100_000) -> None:
        self._root = _Node()
        self._ordinary: dict[str, Message] = {}  # every message whose topic does not start with '$'
        self.count = 0
        self.max_messages = max_messages
        # (expires_at, tie-breaker, node, message); an entry is stale once node.message is not
        # that message (replaced or deleted): lazily dropped when popped or on compaction.
        self._expiries: list[tuple[float, int, _Node, Message]] = []
        self._sequence = itertools.count()

    def store(self, message: Message) -> bool:
        """Keep (or with an empty payload, delete) the retained message of its topic.

        Returns False when the store is full and the message was not kept.
        """
        levels = message.topic.split("/")
        if not message.payload:
            self._delete(levels)
            return True
        node = self._root
        for level in levels:
            child = node.children.get(level)
            if child is None:
                if self.count >= self.max_messages:
                    return False
                child = node.children[level] = _Node()
            node = child
        if node.message is None:
            if self.count >= self.max_messages:
                return False
            self.count += 1
        node.message = message
        if not message.topic.startswith("$"):
            self._ordinary[message.topic] = message
        if message.expires_at is not None:
            self._track_expiry(node, message)
        return True

    def _track_expiry(self, node: _Node, message: Message) -> None:
        assert message.expires_at is not None
        heapq.heappush(self._expiries, (message.expires_at, next(self._sequence), node, message))
        if len(self._expiries) > 2 * self.count + 64:
            # Replaced/deleted entries pile up when expiring topics are republished: compact.
            self._expiries = [entry for entry in self._expiries if entry[2].message is entry[3]]
            heapq.heapify(self._expiries)

    def _delete(self, levels: list[str]) -> None:
        path = [self._root]
        for level in levels:
            child = path[-1].children.get(level)
            if child is None:
                return
            path.append(child)
        deleted = path[-1].message
        if deleted is not None:
            path[-1].message = None
            self._ordinary.pop(deleted.topic, None)
            self.count -= 1
        for depth in range(len(levels), 0, -1):
            node = path[depth]
            if node.children or node.message is not None:
                return
            del path[depth - 1].children[levels[depth - 1]]

    def match(self, topic_filter: str, now: float) -> list[Message]:
        """Unexpired retained messages whose topic matches ``topic_filter`` [MQTT-3.3.2-5]."""
        if topic_filter == "#":
            found = list(self._ordinary.values())  # '#' never matches '$' topics [MQTT-4.7.2-1]
        else:
            found = self._collect(topic_filter.split("/"))
        if self._expiries:  # some message has (or had) an expiry: drop the expired ones
            found = [message for message in found if message.expires_at is None or now < message.expires_at]
        return found

    def _collect(self, levels: list[str]) -> list[Message]:
        found: list[Message] = []
        last = len(levels)
        pending = [(self._root, 0)]
        while pending:
            node, depth = pending.pop()
            if depth == last:
                if node.message is not None:
                    found.append(node.message)
                continue
            level = levels[depth]
            if level == "#":
                found.extend(_subtree(node, skip_system=depth == 0))
            elif level == "+":
                for name, child in reversed(node.children.items()):  # popped in stored order
                    if depth or not name.startswith("$"):  # [MQTT-4.7.2-1]
                        pending.append((child, depth + 1))
            else:
                child = node.children.get(level)
                if child is not None:
                    pending.append((child, depth + 1))
        return found

    def remove_expired(self, now: float) -> int:
        """Drop expired messages (called from the periodic tick); returns how many went.

        Pops only heap entries that are due, so messages without an expiry are never visited.
        """
        expiries = self._expiries
        removed = 0
        while expiries and expiries[0][0] <= now:
            _, _, node, message = heapq.heappop(expiries)
            if node.message is message:  # still the topic's retained message
                self._delete(message.topic.split("/"))
                removed += 1
        return removed


def _subtree(top: _Node, skip_system: bool) -> list[Message]:
    """Every message at or below ``top`` ("a/#" matches "a" itself); '$' children of the root skipped."""
    found: list[Message] = []
    if top.message is not None:
        found.append(top.message)
    children = reversed(top.children.items())  # reversed onto the stack: popped in stored order
    pending = [child for name, child in children if not (skip_system and name.startswith("$"))]
    while pending:
        node = pending.pop()
        if node.message is not None:
            found.append(node.message)
        pending.extend(reversed(node.children.values()))
    return found
