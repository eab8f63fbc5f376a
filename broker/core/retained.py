"""Retained messages in their own trie, looked up by topic filter when a client subscribes.

Messages with an expiry are also kept in a heap keyed by ``expires_at`` so the periodic sweep
costs O(expired) rather than a walk over every retained message.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator

from broker.core.messages import Message


class _Node:
    __slots__ = ("children", "message")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.message: Message | None = None


class RetainedStore:
    """The last retained message per topic; an empty payload deletes [MQTT-3.3.1-10/11]."""

    def __init__(self, max_messages: int = 100_000) -> None:
        self._root = _Node()
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
        if path[-1].message is not None:
            path[-1].message = None
            self.count -= 1
        for depth in range(len(levels), 0, -1):
            node = path[depth]
            if node.children or node.message is not None:
                return
            del path[depth - 1].children[levels[depth - 1]]

    def match(self, topic_filter: str, now: float) -> list[Message]:
        """Unexpired retained messages whose topic matches ``topic_filter``."""
        found = [m for m in self._walk(self._root, topic_filter.split("/"), 0) if not m.is_expired(now)]
        return found

    def _walk(self, node: _Node, levels: list[str], depth: int) -> Iterator[Message]:
        if depth == len(levels):
            if node.message is not None:
                yield node.message
            return
        level = levels[depth]
        if level == "#":
            yield from self._everything(node, skip_system=depth == 0)
        elif level == "+":
            for name, child in list(node.children.items()):
                if depth == 0 and name.startswith("$"):
                    continue  # [MQTT-4.7.2-1]
                yield from self._walk(child, levels, depth + 1)
        else:
            child = node.children.get(level)
            if child is not None:
                yield from self._walk(child, levels, depth + 1)

    def _everything(self, node: _Node, skip_system: bool) -> Iterator[Message]:
        if node.message is not None:
            yield node.message  # "a/#" matches "a" itself
        for name, child in list(node.children.items()):
            if skip_system and name.startswith("$"):
                continue
            yield from self._everything(child, skip_system=False)

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
