"""The gatekeeper hook: refused logins, and per-topic read/write/subscribe rules in every path."""

from __future__ import annotations

import pytest

from broker.codec import ReasonCode
from tests.broker.protocol.pair import V5, V311, Connect, Hub, Properties, PubAck, Will


class TopicRules:
    """Rules as data: topic prefixes a client may read, write and subscribe to."""

    def __init__(self, read: str = "", write: str = "", subscribe: str = "") -> None:
        self.prefixes = {"read": read, "write": write, "subscribe": subscribe}

    def allows(self, topic: str, access: str) -> bool:
        prefix = self.prefixes[access]
        return bool(prefix) and topic.startswith(prefix)


class Gate:
    def __init__(self, users: dict[str | None, tuple[bytes | None, TopicRules]]) -> None:
        self.users = users

    def admit(self, client_id, username, password):
        entry = self.users.get(username)
        if entry is None or entry[0] != password:
            return None
        return entry[1]


def _hub() -> Hub:
    hub = Hub()
    open_rules = TopicRules(read="open/", write="open/", subscribe="open/")
    everything = TopicRules(read="o", write="o", subscribe="o")
    hub.broker.gatekeeper = Gate({"alice": (b"secret", open_rules), "admin": (b"root", everything)})
    return hub


@pytest.mark.parametrize(("version", "code"), [(V311, 5), (V5, ReasonCode.NOT_AUTHORIZED)])
def test_refused_login_gets_not_authorized(version, code):
    hub = _hub()
    client = hub.client(version)
    client.send(Connect(protocol_version=version, client_id="x", username="alice", password=b"wrong"))
    [connack] = client.received()
    assert connack.reason_code == code
    assert client.is_closed
    assert "x" not in hub.broker.sessions


def _login(hub: Hub, client_id: str, user: str, password: bytes, version=V5, will=None):
    client = hub.client(version)
    client.send(
        Connect(
            protocol_version=version,
            client_id=client_id,
            username=user,
            password=password,
            will=will,
            properties=Properties(),
        )
    )
    assert client.received()[0].reason_code == 0
    return client


def test_publish_outside_the_rules_is_refused_and_not_delivered():
    hub = _hub()
    admin = _login(hub, "admin", "admin", b"root")
    admin.subscribe("other/#", "open/#")
    alice = _login(hub, "alice", "alice", b"secret")
    alice.publish("other/x", b"no", qos=1)
    [ack] = alice.received()
    assert isinstance(ack, PubAck) and ack.reason_code == ReasonCode.NOT_AUTHORIZED
    alice.publish("open/x", b"yes", qos=1, packet_id=2)
    assert [p.payload for p in admin.received_publishes()] == [b"yes"]


def test_subscribe_and_read_rules():
    hub = _hub()
    alice = _login(hub, "alice", "alice", b"secret")
    suback = alice.subscribe("other/#", "open/#", "#")
    assert suback.reason_codes == [ReasonCode.NOT_AUTHORIZED, 0, ReasonCode.NOT_AUTHORIZED]
    admin = _login(hub, "admin", "admin", b"root")
    admin.publish("open/x", b"readable", retain=True)
    assert [p.payload for p in alice.received_publishes()] == [b"readable"]


def test_will_is_only_published_where_the_client_may_write():
    """A will the client may not write refuses the CONNECT (Not authorized)."""
    hub = _hub()
    admin = _login(hub, "admin", "admin", b"root")
    admin.subscribe("other/#", "open/#")
    bad = hub.client(V5)
    bad.send(
        Connect(
            protocol_version=V5,
            client_id="alice-1",
            username="alice",
            password=b"secret",
            will=Will("other/will", b"x"),
        )
    )
    [connack] = bad.received()
    assert connack.reason_code == ReasonCode.NOT_AUTHORIZED and bad.is_closed
    good = _login(hub, "alice-2", "alice", b"secret", will=Will("open/will", b"x"))
    good.drop()
    assert [p.topic for p in admin.received_publishes()] == ["open/will"]
