"""ACL files: Mosquitto 2.0's syntax and decisions, as a data table, plus parse errors with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from broker.auth.acl import Access, AclError, AclFile, client_rules

# Used by the table below and, minus the Perch-only cases, by the cross-check against real Mosquitto.
ACL_TEXT = """\
# anonymous clients (lines before any "user" line)
topic read public/#
topic deny public/private
topic readwrite sync/#

user alice
topic readwrite home/#
topic deny home/secret
topic read $SYS/broker/#
topic write alice/out
topic read devices/#
topic readwrite sync/#

user bob
topic read home/+/temperature
topic readwrite sync/#

user root
topic readwrite #

user carol

pattern readwrite devices/%c/#
pattern read users/%u/inbox/#
pattern deny devices/%c/locked
"""

ANONYMOUS = None
# (client id, username, topic, access, allowed, why)
DECISIONS = [
    ("anon1", ANONYMOUS, "public/news", "read", True, "anonymous section"),
    ("anon1", ANONYMOUS, "public/news", "write", False, "read does not grant write"),
    ("anon1", ANONYMOUS, "public/private", "read", False, "deny wins over a broader grant"),
    ("anon1", ANONYMOUS, "public/private/x", "read", True, "deny is exact, not a prefix"),
    ("anon1", ANONYMOUS, "home/kitchen", "read", False, "other users' lines do not apply"),
    ("anon1", ANONYMOUS, "devices/anon1/state", "write", True, "%c patterns apply to anonymous clients"),
    ("anon1", ANONYMOUS, "users/anon1/inbox/1", "read", False, "%u patterns never apply to anonymous"),
    ("a1", "alice", "home/kitchen/light", "write", True, "user section"),
    ("a1", "alice", "home", "read", True, "'home/#' matches its parent 'home'"),
    ("a1", "alice", "home/secret", "read", False, "user deny"),
    ("a1", "alice", "home/secret", "write", False, "deny refuses every access"),
    ("a1", "alice", "public/news", "read", False, "the anonymous section is not for users"),
    ("a1", "alice", "alice/out", "read", False, "write-only line"),
    ("a1", "alice", "alice/out", "write", True, "write-only line"),
    ("a1", "alice", "$SYS/broker/clients/total", "read", True, "a $ line matches $ topics"),
    ("a1", "alice", "$SYS/broker/clients/total", "write", False, "clients never publish to $SYS"),
    ("a1", "alice", "devices/a1/locked", "read", True, "own grants are checked before pattern denies"),
    ("a1", "alice", "users/alice/inbox/7", "read", True, "%u pattern"),
    ("a1", "alice", "users/bob/inbox/7", "read", False, "another user's inbox"),
    ("c1", "carol", "devices/c1/state", "write", True, "patterns alone (empty user section)"),
    ("c1", "carol", "devices/c1/locked", "write", False, "pattern deny before pattern grant"),
    ("c1", "carol", "devices/c2/state", "read", False, "another client's subtree"),
    ("c1", "dave", "users/dave/inbox/x", "read", True, "a user without a section still gets patterns"),
    ("c1", "dave", "home/kitchen", "read", False, "and nothing else"),
    ("r1", "root", "anything/at/all", "write", True, "'#' grants everything..."),
    ("r1", "root", "$SYS/broker/load", "read", False, "...except $ topics [MQTT-4.7.2-1]"),
    ("r1", "root", "$SYS/broker/load", "write", False, "$SYS is never writable"),
    ("r1", "root", "$share/g/x", "write", False, "$share is never a topic name"),
    ("r1", "root", "a/+/b", "write", False, "wildcards are not topic names"),
    ("b1", "bob", "home/kitchen/temperature", "read", True, "'+' in a line"),
    ("b1", "bob", "home/kitchen/temperature", "write", False, "read-only"),
    ("b1", "bob", "home/kitchen/humidity", "read", False, "no line matches"),
    ("c+1", "carol", "devices/c+1/state", "write", False, "client id with '+': no pattern applies"),
    ("x/y", "carol", "devices/x/y/state", "write", False, "client id with '/': no pattern applies"),
    ("c#", "alice", "home/kitchen", "read", True, "an unsafe id keeps its own user lines"),
    ("$SYS", "carol", "devices/$SYS/x", "read", False, "client id starting with '$': no pattern"),
    ("c1", "a/b", "users/a/b/inbox/x", "read", False, "username with '/': no pattern applies"),
    ("c1", "", "users//inbox/x", "read", False, "empty username: no pattern applies"),
    ("%u", "carol", "devices/carol/state", "write", False, "a client id '%u' is not substituted again"),
    ("%u", "carol", "devices/%u/state", "write", True, "it is just the client id"),
]


@pytest.fixture(scope="module")
def acl() -> AclFile:
    return AclFile.parse(ACL_TEXT)


@pytest.mark.parametrize(("client_id", "username", "topic", "access", "allowed", "why"), DECISIONS)
def test_publish_and_read_decisions(
    acl: AclFile, client_id: str, username: str | None, topic: str, access: str, allowed: bool, why: str
) -> None:
    assert acl.allows(client_id, username, topic, access) is allowed, why
    client = acl.for_client(client_id, username)
    check = client.can_read if access == "read" else client.can_publish
    assert check(topic) is allowed, why


# (client id, username, filter, allowed, why): granted only when every topic the filter matches is readable.
SUBSCRIPTIONS = [
    ("a1", "alice", "home/#", False, "would match the denied home/secret"),
    ("a1", "alice", "home/+", False, "would match the denied home/secret"),
    ("a1", "alice", "home/secret/#", False, "'#' matches its parent, the denied home/secret"),
    ("a1", "alice", "home/secret/+", True, "children of the denied topic are readable"),
    ("a1", "alice", "home/+/light", True, "three levels can never be home/secret"),
    ("a1", "alice", "home/kitchen/#", True, "inside the grant"),
    ("a1", "alice", "#", False, "everything"),
    ("a1", "alice", "+/kitchen", False, "first-level wildcard reaches other subtrees"),
    ("a1", "alice", "$SYS/broker/#", True, "$ line"),
    ("a1", "alice", "$SYS/#", False, "wider than the $SYS/broker line"),
    ("a1", "alice", "alice/out", False, "write-only"),
    ("a1", "alice", "$share/group/home/kitchen/#", True, "shared: judged by its filter"),
    ("a1", "alice", "$share/group/home/#", False, "sharing does not widen access"),
    ("a1", "alice", "$share//home/kitchen", False, "empty share name"),
    ("a1", "alice", "$share/g+/home/kitchen", False, "wildcard in share name"),
    ("a1", "alice", "$share/group", False, "no filter"),
    ("a1", "alice", "home/kit+chen", False, "malformed filter"),
    ("a1", "alice", "devices/#", True, "own grant over the pattern deny"),
    ("r1", "root", "#", True, "'#' line covers '#' (which skips $ topics)"),
    ("r1", "root", "+/+/+", True, "also covered"),
    ("r1", "root", "$SYS/#", False, "'#' line does not cover $ topics"),
    ("r1", "root", "$share/g/#", True, "shared '#'"),
    ("b1", "bob", "home/+/temperature", True, "exactly the line"),
    ("b1", "bob", "home/kitchen/temperature", True, "one topic of the line"),
    ("b1", "bob", "home/kitchen/#", False, "humidity too"),
    ("b1", "bob", "+/kitchen/temperature", False, "not only home"),
    ("c1", "carol", "devices/c1/#", False, "includes devices/c1/locked"),
    ("c1", "carol", "devices/c1/+/x", True, "four levels never hit the deny"),
    ("c1", "carol", "users/carol/inbox/#", True, "%u pattern"),
    ("c1", "carol", "users/carol/#", False, "wider than the pattern"),
    ("c1", "carol", "users/+/inbox/#", False, "other users' inboxes"),
    ("anon1", ANONYMOUS, "public/#", False, "includes public/private"),
    ("anon1", ANONYMOUS, "public/+/#", False, "'#' matches its parent, so public/private too"),
    ("anon1", ANONYMOUS, "public/+/+", True, "three levels are never public/private"),
    ("anon1", ANONYMOUS, "public/+", False, "includes public/private"),
]


@pytest.mark.parametrize(("client_id", "username", "topic_filter", "allowed", "why"), SUBSCRIPTIONS)
def test_subscribe_decisions(
    acl: AclFile, client_id: str, username: str | None, topic_filter: str, allowed: bool, why: str
) -> None:
    assert acl.allows(client_id, username, topic_filter, Access.SUBSCRIBE) is allowed, why


def test_mosquitto_parsing_quirks() -> None:
    acl = AclFile.parse("topic read\ntopic  write   a b  \n   topic deny x\r\nuser  spaced name \ntopic c\n")
    anonymous = {(line.topic, line.can_read, line.can_write, line.is_deny) for line in acl.anonymous}
    # One word after "topic" is the topic itself with readwrite access; the topic is the rest of the line.
    assert anonymous == {("read", True, True, False), ("a b", False, True, False), ("x", False, False, True)}
    assert [line.topic for line in acl.users["spaced name"]] == ["c"]


def test_no_lines_for_a_client_refuses_everything() -> None:
    acl = AclFile.parse("user alice\ntopic read a\n")
    assert not acl.allows("c", None, "a", "read")
    assert not acl.allows("c", "bob", "a", "read")
    assert not acl.allows("c", "bob", "a", "subscribe")


INVALID = [
    ("topic", "a topic is missing"),
    ("topic read a/#/b", "'#' must be a whole level"),
    ("topic read a/b#", "'#' must be a whole level"),
    ("topic read a/b+", "'+' must be a whole level"),
    ("topic sometimes a/b", "access must be read, write, readwrite or deny"),
    ("user", "'user' needs a username"),
    ("user   ", "'user' needs a username"),
    ("topics read a", "expected 'user', 'topic' or 'pattern'"),
    ("Topic read a", "expected 'user', 'topic' or 'pattern'"),
    ("topic\tread\ta", "use spaces, not tabs"),
    ("pattern read a/%c+", "'+' must be a whole level"),
]


@pytest.mark.parametrize(("line", "message"), INVALID)
def test_invalid_lines_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "acl"
    path.write_text("# header\ntopic read ok\n" + line + "\n")
    with pytest.raises(AclError) as caught:
        AclFile.load(path)
    assert str(caught.value).startswith(f"{path}:3: ")
    assert message in str(caught.value)


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(AclError, match="cannot read the ACL file"):
        AclFile.load(tmp_path / "absent")
    path = tmp_path / "acl"
    path.write_bytes(b"topic read ok\ntopic read \xff\n")
    with pytest.raises(AclError, match=r"acl:2: the line is not valid UTF-8"):
        AclFile.load(path)


def test_subscribe_on_many_rules_stays_decidable() -> None:
    lines = ["user u"] + [f"topic read site/{n}/+/value" for n in range(200)] + ["topic deny site/7/x/value"]
    client = AclFile.parse("\n".join(lines)).for_client("c", "u")
    assert client.can_subscribe("site/150/+/value")
    assert not client.can_subscribe("site/+/+/value")  # site/200... is not granted
    assert not client.can_subscribe("site/7/#")
    assert client.can_subscribe("site/7/y/value")


def test_without_an_acl_file_only_the_rules_for_everyone_remain() -> None:
    client = client_rules(None, "c", "u")
    assert (
        client.can_publish("any/topic")
        and client.can_read("any/topic")
        and client.can_read("$SYS/broker/load")
    )
    assert client.can_subscribe("#") and client.can_subscribe("$SYS/#") and client.can_subscribe("$share/g/#")
    assert not client.can_publish("$SYS/broker/load")  # never, with or without an ACL (as Mosquitto)
    assert not client.can_publish("$share/g/x")
    assert not client.can_publish("a/+")
    assert not client.can_subscribe("a/b#")
    assert not client.can_subscribe("$share/g")


def test_with_an_acl_file_client_rules_come_from_it(acl: AclFile) -> None:
    assert client_rules(acl, "b1", "bob").can_read("home/x/temperature")
    assert not client_rules(acl, "b1", "bob").can_read("home/x/humidity")
