"""Cross-check: Perch's ACL decisions equal what a real Mosquitto 2.0 does with the same ACL file.

Mosquitto grants every SUBSCRIBE and checks read access per delivered message, so reads are observed by
subscribing to ``#`` and writes by a privileged observer. A final "sync" message on a topic the client
may use marks the end: Mosquitto keeps one publisher's messages in order, so anything not received
before it was refused.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from broker.auth.acl import AclFile, ClientAcl
from broker.auth.coverage import split_filter, topic_matches
from tests.broker.auth.test_acl import ACL_TEXT, SUBSCRIPTIONS
from tests.interop.paho_client import PahoClient
from tests.support.brokers import RunningBroker, mosquitto_broker

pytestmark = pytest.mark.interop

# Mosquitto started as root switches to the "mosquitto" user, which cannot read files in our temp dir.
RUN_AS_CURRENT_USER = "user root\n" if os.geteuid() == 0 else ""

TOPICS = [
    "public/news",
    "public/private",
    "public/private/x",
    "home",
    "home/kitchen",
    "home/secret",
    "home/secret/x",
    "home/kitchen/temperature",
    "home/kitchen/humidity",
    "alice/out",
    "devices/a1/locked",
    "devices/c1/state",
    "devices/c1/locked",
    "devices/c2/state",
    "devices/carol/state",
    "devices/%u/state",
    "devices/anon1/state",
    "users/alice/inbox/7",
    "users/bob/inbox/7",
    "users/carol/inbox/1",
    "anything/at/all",
]
SYSTEM_TOPIC = "$SYS/broker/version"  # retained by Mosquitto itself, so a subscriber gets it at once

# (client id, username, a topic it may both read and write, used as the end marker)
IDENTITIES = [
    ("anon1", None, "sync/anon1"),
    ("a1", "alice", "sync/a1"),
    ("b1", "bob", "sync/b1"),
    ("r1", "root", "sync/r1"),
    ("c1", "carol", "devices/c1/sync"),
    ("c+1", "alice", "sync/unsafe"),
    (
        "%u",
        "carol",
        "devices/%u/sync",
    ),  # patterns are filled in one pass  # unsafe client id: Mosquitto and Perch both drop its patterns
]


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBroker]:
    path = tmp_path_factory.mktemp("acl") / "acl"
    path.write_text(ACL_TEXT)
    with mosquitto_broker(extra_config=f"acl_file {path}\n{RUN_AS_CURRENT_USER}") as running:
        yield running


def connect(broker: RunningBroker, client_id: str, username: str | None) -> PahoClient:
    client = PahoClient(broker, client_id, version=4)
    if username is not None:
        client.client.username_pw_set(username)
    client.connect()
    return client


def topics_until(client: PahoClient, marker: str, limit: int) -> set[str]:
    """Topics received before ``marker`` (which must arrive), reading at most ``limit`` messages."""
    seen: set[str] = set()
    for _ in range(limit):
        message = client.receive(1)[0]
        if message.topic == marker:
            return seen
        seen.add(message.topic)
    raise AssertionError(f"marker {marker!r} never arrived; got {sorted(seen)}")


def perch_rules(client_id: str, username: str | None) -> ClientAcl:
    return AclFile.parse(ACL_TEXT).for_client(client_id, username)


@pytest.mark.parametrize(("client_id", "username", "marker"), IDENTITIES)
def test_reads_match_mosquitto(
    broker: RunningBroker, client_id: str, username: str | None, marker: str
) -> None:
    rules = perch_rules(client_id, username)
    assert rules.can_read(marker) and rules.can_publish(marker)
    reader = connect(broker, client_id, username)
    publisher = connect(broker, "publisher", "root")
    try:
        reader.subscribe("#", qos=1)
        reader.subscribe(SYSTEM_TOPIC, qos=1)
        for topic in TOPICS:
            publisher.publish(topic, topic, qos=1)
        reader.publish(marker, b"end", qos=1)
        received = topics_until(reader, marker, limit=len(TOPICS) + 2)
    finally:
        reader.close()
        publisher.close()
    expected = {topic for topic in [*TOPICS, SYSTEM_TOPIC] if rules.can_read(topic)}
    assert received == expected


@pytest.mark.parametrize(("client_id", "username", "marker"), IDENTITIES)
def test_writes_match_mosquitto(
    broker: RunningBroker, client_id: str, username: str | None, marker: str
) -> None:
    rules = perch_rules(client_id, username)
    observer = connect(broker, "observer", "root")
    writer = connect(broker, client_id, username)
    try:
        observer.subscribe("#", qos=1)
        for topic in TOPICS:
            writer.publish(topic, topic, qos=1)  # MQTT 3.1.1: a refused PUBLISH is still acknowledged
        writer.publish(marker, b"end", qos=1)
        received = topics_until(observer, marker, limit=len(TOPICS) + 1)
    finally:
        writer.close()
        observer.close()
    assert received == {topic for topic in TOPICS if rules.can_publish(topic)}


def unshared(topic_filter: str) -> str:
    return topic_filter.split("/", 2)[2] if topic_filter.startswith("$share/") else topic_filter


def subscription_probe(client_id: str, username: str | None, topic_filter: str, allowed: bool) -> list[str]:
    """Topics whose delivery by Mosquitto shows the decision right: for a granted filter, every listed
    topic the filter matches must arrive; for a refused one, the example Perch names must not."""
    if allowed:
        levels = split_filter(unshared(topic_filter))
        return [topic for topic in TOPICS if topic_matches(levels, split_filter(topic))]
    reason = perch_rules(client_id, username).subscribe_refusal(topic_filter) or ""
    example = (
        reason.split(" would match ", 1)[1].split(",", 1)[0].strip("'") if " would match " in reason else ""
    )
    return [example] if example and not example.startswith("$") else []


SUBSCRIPTION_CASES = [
    pytest.param(*case[:4], subscription_probe(*case[:4]), id=f"{case[1]}-{case[2]}")
    for case in SUBSCRIPTIONS
    if any(case[0] == identity[0] for identity in IDENTITIES) and subscription_probe(*case[:4])
]


@pytest.mark.parametrize(("client_id", "username", "topic_filter", "allowed", "probe"), SUBSCRIPTION_CASES)
def test_subscribe_decisions_agree_with_mosquitto_deliveries(
    broker: RunningBroker,
    client_id: str,
    username: str | None,
    topic_filter: str,
    allowed: bool,
    probe: list[str],
) -> None:
    marker = next(identity[2] for identity in IDENTITIES if identity[0] == client_id)
    reader = connect(broker, client_id, username)
    publisher = connect(broker, "publisher", "root")
    try:
        reader.subscribe(topic_filter, qos=1)  # Mosquitto grants it and filters each delivery instead
        reader.subscribe(marker, qos=1)
        for topic in probe:
            publisher.publish(topic, topic, qos=1)
        reader.publish(marker, b"end", qos=1)
        received = topics_until(reader, marker, limit=len(probe) + 2)
    finally:
        reader.close()
        publisher.close()
    assert received == (set(probe) if allowed else set())
