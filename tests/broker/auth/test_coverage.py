"""The subscribe check against a brute-force oracle, and bounded fuzzing of the password and ACL loaders."""

from __future__ import annotations

import itertools
import os

from hypothesis import given, settings
from hypothesis import strategies as st

from broker.auth.acl import AclError, AclFile
from broker.auth.coverage import Rule, decide, filter_is_covered, topic_matches, unreadable_topic
from broker.auth.passwords import PasswordFile, PasswordFileError

# Bounded by default; a long run on demand: PERCH_FUZZ_EXAMPLES=5000 (the variable the codec fuzz tests read).
FUZZ_EXAMPLES = int(os.environ.get("PERCH_FUZZ_EXAMPLES", "300"))
WORDS = ["a", "b", "$s"]
FRESH_WORD = "z"  # a word no rule or filter mentions
MAX_LEVELS = 3


def filters(max_levels: int = MAX_LEVELS) -> st.SearchStrategy[tuple[str, ...]]:
    """Valid filters over a tiny alphabet: literal words and '+', with '#' only last."""
    body = st.lists(st.sampled_from([*WORDS, "+"]), min_size=0, max_size=max_levels)
    return (
        st.tuples(body, st.booleans())
        .map(lambda parts: (*parts[0], "#") if parts[1] or not parts[0] else tuple(parts[0]))
        .filter(lambda levels: len(levels) <= max_levels)
    )


rules = st.builds(
    Rule,
    levels=filters(),
    can_read=st.booleans(),
    can_write=st.booleans(),
    is_deny=st.booleans(),
    from_pattern=st.booleans(),
)


def every_topic() -> list[tuple[str, ...]]:
    """Every topic that could be told apart by filters of up to MAX_LEVELS levels over WORDS."""
    words = [*WORDS, FRESH_WORD]
    return [topic for length in range(1, MAX_LEVELS + 2) for topic in itertools.product(words, repeat=length)]


ALL_TOPICS = every_topic()


def covered_by_brute_force(topic_filter: tuple[str, ...], rule_set: tuple[Rule, ...]) -> bool:
    for topic in ALL_TOPICS:
        if topic_matches(topic_filter, topic):
            matched = [rule for rule in rule_set if topic_matches(rule.levels, topic)]
            if not decide(matched, want_read=True):
                return False
    return True


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(topic_filter=filters(), rule_set=st.lists(rules, max_size=6).map(tuple))
def test_subscribe_check_equals_checking_every_topic(
    topic_filter: tuple[str, ...], rule_set: tuple[Rule, ...]
) -> None:
    assert filter_is_covered(topic_filter, rule_set) == covered_by_brute_force(topic_filter, rule_set)
    example = unreadable_topic(topic_filter, rule_set)
    if example is not None:  # the example given for a refusal is a real, unreadable topic of the filter
        levels = tuple(example.split("/"))
        assert topic_matches(topic_filter, levels)
        assert not decide([rule for rule in rule_set if topic_matches(rule.levels, levels)], want_read=True)


def test_oracle_sees_dollar_topics_and_parents() -> None:
    grant_all = (Rule(("#",), True, True, False, False),)
    assert covered_by_brute_force(("#",), grant_all)
    assert not covered_by_brute_force(("$s", "#"), grant_all)
    deny_parent = (*grant_all, Rule(("a",), False, False, True, False))
    assert not covered_by_brute_force(("a", "#"), deny_parent)
    assert covered_by_brute_force(("a", "+"), deny_parent)


ACL_WORDS = [
    "topic",
    "pattern",
    "user",
    "read",
    "write",
    "readwrite",
    "deny",
    "#",
    "+",
    "/",
    "a",
    "%c",
    "%u",
    "$SYS",
    "$share",
    "é",
]
ACL_PIECES = st.sampled_from([*ACL_WORDS, " ", "  ", "\n", "\r\n", "\t", "\x00", "\ud800"])


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(
    pieces=st.lists(ACL_PIECES, max_size=40),
    client_id=st.text(max_size=5),
    username=st.none() | st.text(max_size=5),
)
def test_acl_loader_accepts_or_explains(pieces: list[str], client_id: str, username: str | None) -> None:
    try:
        acl = AclFile.parse("".join(pieces))
    except AclError as error:
        assert str(error).startswith("<acl file>:")
        return
    client = acl.for_client(client_id, username)
    for topic_filter in ("#", "a/+", "$SYS/#", "$share/g/a/#"):
        if client.can_subscribe(topic_filter):
            assert client.can_read(topic_filter.replace("#", "x").replace("+", "x").removeprefix("$share/g/"))


PASSWORD_PIECES = st.sampled_from(
    ["alice", ":", "$7$", "$6$", "101$", "$", "HGq5kd/6Wro5sWJG", "=", "#", " ", "\n", "\r", "\xff", "é"]
)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(pieces=st.lists(PASSWORD_PIECES, max_size=30), raw=st.binary(max_size=60))
def test_password_loader_accepts_or_explains(pieces: list[str], raw: bytes) -> None:
    for data in ("".join(pieces).encode("utf-8", "surrogatepass"), raw):
        try:
            passwords = PasswordFile.parse(data)
        except PasswordFileError as error:
            assert str(error).startswith("<password file>:")
            continue
        again = PasswordFile.parse(passwords.render())
        assert again.users == passwords.users
