"""ACL topic matching, and the question behind SUBSCRIBE: is *every* topic a filter matches readable?

A filter like ``home/+/temperature`` or ``#`` stands for infinitely many topics, so they cannot be
listed. But only finitely many things tell topics apart for a given set of rules: at each level, which
of the rules' literal words the level equals, or "none of them". :func:`filter_is_covered` walks the
filter level by level, trying each such word plus one word equal to none, while tracking which rules
still match the prefix. The states form a finite graph (a product of the filter's and the rules'
automata), explored once each, so even ``#`` against many rules finishes quickly, and every path that
ends where the filter could end is a concrete topic whose read access is decided exactly as
:func:`decide` decides a published topic.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

Levels = tuple[str, ...]
OTHER_WORD = "\x00"  # stands for "a word equal to no literal in any rule" (topics never contain U+0000)
MAX_STATES = 200_000  # bound on the walk; past it the filter is refused rather than decided slowly


@dataclass(frozen=True)
class Rule:
    """One concrete ACL rule (a pattern already expanded for the client)."""

    levels: Levels
    can_read: bool
    can_write: bool
    is_deny: bool
    from_pattern: bool


def split_filter(text: str) -> Levels:
    return tuple(text.split("/"))


def topic_matches(rule: Levels, topic: Levels) -> bool:
    """MQTT matching; wildcards in the first level never match a ``$`` topic [MQTT-4.7.2-1]."""
    if topic[0].startswith("$") and rule[0] in ("+", "#"):
        return False
    for index, word in enumerate(rule):
        if word == "#":
            return True  # also matches the parent: "a/#" matches "a" [MQTT-4.7.1-2]
        if index >= len(topic) or (word != "+" and word != topic[index]):
            return False
    return len(rule) == len(topic)


def decide(matched: Iterable[Rule], want_read: bool) -> bool:
    """Mosquitto 2.0's order for the rules matching one topic: own denies, own grants, pattern denies,
    pattern grants; nothing matched refuses."""
    matched = list(matched)
    for from_pattern in (False, True):
        group = [rule for rule in matched if rule.from_pattern is from_pattern]
        if any(rule.is_deny for rule in group):
            return False
        if any(rule.can_read if want_read else rule.can_write for rule in group):
            return True
    return False


# A walk state: (position in the filter, rules still matching as (rule index, next level), rules already
# matched through their '#', whether any level has been consumed).
State = tuple[int, frozenset[tuple[int, int]], frozenset[int], bool]


def filter_is_covered(topic_filter: Levels, rules: tuple[Rule, ...]) -> bool:
    """True when every topic ``topic_filter`` matches is readable under ``rules``."""
    return unreadable_topic(topic_filter, rules) is None


def unreadable_topic(topic_filter: Levels, rules: tuple[Rule, ...]) -> str | None:
    """A topic that ``topic_filter`` matches but ``rules`` do not let the client read, or None if none exists.

    The example explains a refused subscription in the broker's log. A filter too complex to decide within
    MAX_STATES is refused with the filter itself as the example.
    """
    relevant = [index for index, rule in enumerate(rules) if rule.can_read or rule.is_deny]
    start: State = (0, frozenset((index, 0) for index in relevant), frozenset(), False)
    pending, came_from = [start], {start: (start, "")}
    while pending:
        if len(came_from) > MAX_STATES:
            return "/".join(topic_filter)
        state = pending.pop()
        position, alive, completed, consumed = state
        if consumed and _filter_may_end(topic_filter, position):
            matched = [rules[index] for index in completed]
            matched += [rules[index] for index, level in alive if level == len(rules[index].levels)]
            if not decide(matched, want_read=True):
                return _example_topic(came_from, state, rules)
        for next_state, word in _successors(topic_filter, rules, state):
            if next_state not in came_from:
                came_from[next_state] = (state, word)
                pending.append(next_state)
    return None


def _example_topic(came_from: dict[State, tuple[State, str]], state: State, rules: tuple[Rule, ...]) -> str:
    """Spell out the path to ``state``, with a concrete word where the walk used "a word no rule names"."""
    literals = {word for rule in rules for word in rule.levels}
    other = next(
        f"other{suffix}" for suffix in ("", *range(len(literals) + 1)) if f"other{suffix}" not in literals
    )
    words: list[str] = []
    while came_from[state][0] != state:
        state, word = came_from[state]
        words.append(other if word == OTHER_WORD else word)
    return "/".join(reversed(words))


def _filter_may_end(topic_filter: Levels, position: int) -> bool:
    return position == len(topic_filter) or topic_filter[position] == "#"


def _successors(topic_filter: Levels, rules: tuple[Rule, ...], state: State) -> list[tuple[State, str]]:
    position, alive, completed, consumed = state
    if position == len(topic_filter):
        return []
    word = topic_filter[position]
    if word not in ("+", "#"):
        words: Iterable[str] = (word,)
    else:
        words = _distinguishing_words(rules, alive, first_level=not consumed)
    next_position = position if word == "#" else position + 1
    result = []
    for candidate in words:
        next_alive, next_completed = _advance(rules, alive, completed, candidate, first_level=not consumed)
        result.append(((next_position, next_alive, next_completed, True), candidate))
    return result


def _distinguishing_words(
    rules: tuple[Rule, ...], alive: frozenset[tuple[int, int]], first_level: bool
) -> set[str]:
    """Every literal the live rules test at their next level, plus one word equal to none of them.

    A wildcard in the filter's first level never matches a ``$`` topic, so ``$`` words are left out there.
    """
    words = {OTHER_WORD}
    for index, level in alive:
        levels = rules[index].levels
        if level < len(levels) and levels[level] not in ("+", "#"):
            words.add(levels[level])
    if first_level:
        words = {word for word in words if not word.startswith("$")}
    return words


def _advance(
    rules: tuple[Rule, ...],
    alive: frozenset[tuple[int, int]],
    completed: frozenset[int],
    word: str,
    first_level: bool,
) -> tuple[frozenset[tuple[int, int]], frozenset[int]]:
    """Consume one topic level ``word``: which rules still match, which now match whatever follows."""
    next_alive: set[tuple[int, int]] = set()
    next_completed = set(completed)
    is_system = first_level and word.startswith("$")
    for index, level in alive:
        levels = rules[index].levels
        if level == len(levels):
            continue  # the rule ended; a longer topic does not match it
        rule_word = levels[level]
        if is_system and rule_word in ("+", "#"):
            continue
        if rule_word == "#":
            next_completed.add(index)
        elif rule_word in ("+", word):
            if level + 1 < len(levels) and levels[level + 1] == "#":
                next_completed.add(index)  # "a/#" matches "a" and everything below it
            else:
                next_alive.add((index, level + 1))
    return frozenset(next_alive), frozenset(next_completed)
