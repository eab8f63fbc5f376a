"""Access control lists in Mosquitto's ``acl_file`` syntax, with Mosquitto 2.0's meaning.

The file::

    # comment
    topic read public/#          <- lines before any "user" line: anonymous clients only
    user alice
    topic readwrite home/#       <- alice's lines (access defaults to readwrite)
    topic deny home/secret
    pattern write devices/%c/#   <- every client; %c = client id, %u = username

How a topic is decided (as Mosquitto 2.0's default ACL check does it):

1. the client's own lines (its ``user`` section, or the anonymous section): a matching ``deny`` refuses;
   otherwise a matching line that grants the access allows;
2. then ``pattern`` lines, expanded for this client: a matching ``deny`` refuses; a matching grant allows;
3. nothing matched: refused.

A ``pattern`` that names ``%u`` never applies to an anonymous client. When the client id or the username
is unsafe to substitute (contains ``+``, ``#`` or ``/``, is empty or starts with ``$``), no pattern applies
to that client at all, so a chosen client id can never widen access. Mosquitto does this for ``+`` and
``#``; Perch adds ``/`` (which would move the pattern into another client's subtree), ``$`` and empty.

Topics starting with ``$`` are matched only by lines starting with ``$`` [MQTT-4.7.2-1]. Clients never
publish to ``$SYS`` or ``$share`` topics, whatever the file says.

Subscriptions are stricter than Mosquitto, which grants every SUBSCRIBE and filters at delivery: here a
filter is granted only when *every* topic it could match is readable, so a refused filter gets a SUBACK
failure code and a granted one never needs silent filtering. ``$share/<group>/<filter>`` is judged by
its ``<filter>``. Delivery, wills and retained messages should still be checked with :meth:`can_read` /
:meth:`can_publish` (the file may be reloaded while sessions live on).
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from broker.auth.coverage import Rule, decide, split_filter, topic_matches, unreadable_topic


class Access(enum.Enum):
    """What a client wants to do with a topic (or, for SUBSCRIBE, a topic filter)."""

    READ = "read"
    WRITE = "write"
    SUBSCRIBE = "subscribe"


class AclError(ValueError):
    """An ACL file that cannot be read or has an invalid line; the message starts with file:line."""


GRANTS = {"read": (True, False), "write": (False, True), "readwrite": (True, True)}
UNSAFE_IDENTITY_CHARACTERS = frozenset("+#/\x00")
SUBSTITUTION = re.compile("%[cu]")


@dataclass(frozen=True)
class AclLine:
    """One ``topic`` or ``pattern`` line of the file."""

    topic: str
    can_read: bool
    can_write: bool
    is_deny: bool
    line: int

    @property
    def uses_username(self) -> bool:
        return "%u" in self.topic


@dataclass
class AclFile:
    """A parsed ACL file. Build a :class:`ClientAcl` per connection with :meth:`for_client`."""

    anonymous: list[AclLine] = field(default_factory=list)
    users: dict[str, list[AclLine]] = field(default_factory=dict)
    patterns: list[AclLine] = field(default_factory=list)
    path: Path | None = None

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> AclFile:
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise AclError(f"{path}: cannot read the ACL file: {error.strerror}") from None
        return cls.parse(data, path)

    @classmethod
    def parse(cls, data: bytes | str, path: Path | None = None) -> AclFile:
        """Parse file contents; ``path`` only names the file in error messages."""
        acl = cls(path=path)
        source = str(path) if path else "<acl file>"
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogatepass")
        current_user: str | None = None
        for number, raw in enumerate(data.split(b"\n"), start=1):
            try:
                current_user = acl._add_line(raw.decode("utf-8").rstrip(), number, current_user)
            except UnicodeDecodeError:
                raise AclError(f"{source}:{number}: the line is not valid UTF-8") from None
            except ValueError as error:
                raise AclError(f"{source}:{number}: {error}") from None
        return acl

    def _add_line(self, line: str, number: int, current_user: str | None) -> str | None:
        """Record one line; return the user whose section follows it."""
        if "\t" in line:
            raise ValueError("use spaces, not tabs, between the words of an ACL line")
        text = line.lstrip(" ")
        if not text or text.startswith("#"):
            return current_user
        keyword, _, rest = text.partition(" ")
        if keyword == "user":
            username = rest.strip()
            if not username:
                raise ValueError("'user' needs a username")
            self.users.setdefault(username, [])
            return username
        if keyword not in ("topic", "pattern"):
            raise ValueError(f"expected 'user', 'topic' or 'pattern', not {keyword!r}")
        acl_line = _parse_rule(rest, number)
        if keyword == "pattern":
            self.patterns.append(acl_line)
        elif current_user is None:
            self.anonymous.append(acl_line)
        else:
            self.users[current_user].append(acl_line)
        return current_user

    def for_client(self, client_id: str, username: str | None) -> ClientAcl:
        """The rules that apply to one connected client (build once per connection)."""
        own_lines = self.anonymous if username is None else self.users.get(username, [])
        rules = [_rule(line.topic, line, from_pattern=False) for line in own_lines]
        if _is_safe_identity(client_id) and (username is None or _is_safe_identity(username)):
            for line in self.patterns:
                if line.uses_username and username is None:
                    continue
                rules.append(_rule(_expand(line.topic, client_id, username), line, from_pattern=True))
        return ClientAcl(tuple(rules))

    def allows(self, client_id: str, username: str | None, topic: str, access: Access | str) -> bool:
        """One-off check; the broker should keep a :class:`ClientAcl` per connection instead."""
        return self.for_client(client_id, username).allows(topic, access)


def _parse_rule(rest: str, number: int) -> AclLine:
    """Parse what follows ``topic``/``pattern``: ``[read|write|readwrite|deny] TOPIC``.

    As in Mosquitto, a single word is the topic (with readwrite access), and the topic is the rest of the
    line, so it may contain spaces.
    """
    rest = rest.lstrip(" ")
    if not rest:
        raise ValueError("a topic is missing")
    access, _, topic = rest.partition(" ")
    topic = topic.strip()
    if not topic:
        access, topic = "readwrite", access
    if access == "deny":
        can_read, can_write, is_deny = False, False, True
    elif access in GRANTS:
        (can_read, can_write), is_deny = GRANTS[access], False
    else:
        raise ValueError(f"access must be read, write, readwrite or deny, not {access!r}")
    _check_filter_syntax(topic)
    return AclLine(topic, can_read, can_write, is_deny, number)


def _check_filter_syntax(topic: str) -> None:
    if "\x00" in topic:
        raise ValueError("a topic must not contain U+0000")
    if len(topic.encode("utf-8", "surrogatepass")) > 65535:
        raise ValueError("a topic must be at most 65535 bytes")
    levels = topic.split("/")
    for index, level in enumerate(levels):
        if "#" in level and (level != "#" or index != len(levels) - 1):
            raise ValueError(f"invalid topic {topic!r}: '#' must be a whole level and the last one")
        if "+" in level and level != "+":
            raise ValueError(f"invalid topic {topic!r}: '+' must be a whole level")


def _is_safe_identity(value: str | None) -> bool:
    """Whether a client id or username can be put into a pattern without changing its shape."""
    return bool(value) and not value.startswith("$") and UNSAFE_IDENTITY_CHARACTERS.isdisjoint(value)


def _expand(pattern: str, client_id: str, username: str | None) -> str:
    """Put the client's id and username into a pattern in one pass, as Mosquitto does: a client id that
    itself reads "%u" is not substituted again."""
    values = {"%c": client_id, "%u": username if username is not None else "%u"}
    return SUBSTITUTION.sub(lambda match: values[match.group(0)], pattern)


def _rule(topic: str, line: AclLine, from_pattern: bool) -> Rule:
    return Rule(split_filter(topic), line.can_read, line.can_write, line.is_deny, from_pattern)


class ClientAcl:
    """What one client may do, with its patterns already expanded. Cheap to query, cached per topic."""

    def __init__(self, rules: Iterable[Rule], is_unrestricted: bool = False) -> None:
        self.rules = tuple(rules)
        self.is_unrestricted = is_unrestricted
        self.can_read = lru_cache(maxsize=1024)(self._can_read)
        self.can_publish = lru_cache(maxsize=1024)(self._can_publish)
        self.can_subscribe = lru_cache(maxsize=256)(self._can_subscribe)

    @classmethod
    def unrestricted(cls) -> ClientAcl:
        """For a broker without an ACL file: every topic, except what no client may ever do
        (publish to ``$SYS`` or ``$share``, use malformed topics and filters)."""
        return cls((), is_unrestricted=True)

    def allows(self, topic: str, access: Access | str) -> bool:
        access = Access(access)
        if access is Access.READ:
            return self.can_read(topic)
        if access is Access.WRITE:
            return self.can_publish(topic)
        return self.can_subscribe(topic)

    def _can_read(self, topic: str) -> bool:
        """May a message on ``topic`` be delivered to this client (including retained messages)?"""
        if not _is_topic_name(topic) or topic.startswith("$share"):
            return False
        return self.is_unrestricted or _decide(self.rules, split_filter(topic), want_read=True)

    def _can_publish(self, topic: str) -> bool:
        """May this client publish on ``topic`` (including its will)?"""
        if not _is_topic_name(topic) or topic.startswith(("$SYS", "$share")):
            return False
        return self.is_unrestricted or _decide(self.rules, split_filter(topic), want_read=False)

    def _can_subscribe(self, topic_filter: str) -> bool:
        """May this client subscribe to ``topic_filter`` (``$share/<group>/<filter>`` allowed)?"""
        return self.subscribe_refusal(topic_filter) is None

    def subscribe_refusal(self, topic_filter: str) -> str | None:
        """Why a SUBSCRIBE to ``topic_filter`` is refused (for the log), or None when it is granted."""
        inner = _unshare(topic_filter)
        if inner is None:
            return f"{topic_filter!r} is not a valid shared subscription ($share/<group>/<filter>)"
        try:
            _check_filter_syntax(inner)
        except ValueError as error:
            return str(error)
        if self.is_unrestricted:
            return None
        example = unreadable_topic(split_filter(inner), self.rules)
        return None if example is None else f"{topic_filter!r} would match {example!r}, which is not readable"


def _is_topic_name(topic: str) -> bool:
    return bool(topic) and "+" not in topic and "#" not in topic and "\x00" not in topic


def _unshare(topic_filter: str) -> str | None:
    """The filter inside ``$share/<group>/<filter>``, the filter itself if not shared, None if malformed."""
    if not topic_filter:
        return None
    if not topic_filter.startswith("$share/"):
        return topic_filter
    group, separator, inner = topic_filter[len("$share/") :].partition("/")
    if not separator or not group or not inner or "+" in group or "#" in group:
        return None
    return inner


def _decide(rules: tuple[Rule, ...], topic: tuple[str, ...], want_read: bool) -> bool:
    return decide((rule for rule in rules if topic_matches(rule.levels, topic)), want_read)


def client_rules(acl: AclFile | None, client_id: str, username: str | None) -> ClientAcl:
    """The rules for a client that just connected: from the ACL file, or unrestricted when there is none."""
    return acl.for_client(client_id, username) if acl is not None else ClientAcl.unrestricted()
