"""Limits over the wire: a flood of connections is refused politely, a slow subscriber's backlog stays
bounded without slowing a fast one (counted, not timed), topic and client id limits."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import paho.mqtt.client as paho

from broker.codec import Disconnect, Properties, Publish, ReasonCode, Subscribe, SubscriptionRequest
from broker.config import BrokerConfig, ListenerConfig
from broker.server.drops import DropReporter
from tests.broker.security.helpers import V5, V311, PahoClient, WireClient, paho_clients, running, wait_until

SERVER_UNAVAILABLE_V311, IDENTIFIER_REJECTED_V311 = 3, 2


def test_connections_past_the_limit_are_told_server_busy_and_the_others_keep_working() -> None:
    config = BrokerConfig(listeners=[ListenerConfig(port=0)], max_connections=3)
    with running(config) as broker, paho_clients() as made:
        port = broker.ports["mqtt"]
        for name in ("a", "b", "c"):
            made.append(PahoClient(name))
            assert not made[-1].connect(port).is_failure
        made[0].subscribe("busy/#")
        for version, code in ((V5, ReasonCode.SERVER_BUSY), (V311, SERVER_UNAVAILABLE_V311)):
            extra = WireClient(port, version)
            assert extra.connect(f"extra-{version}").reason_code == code
            assert extra.is_closed()
            extra.close()
        made[1].publish("busy/x", b"still served")
        assert made[0].received() == [("busy/x", b"still served")]
        made.pop().stop()
        assert wait_until(lambda: len(broker.server.transports) == 2)
        late = WireClient(port, V5)
        assert late.connect("late").reason_code == 0
        late.close()


def test_a_slow_subscriber_is_bounded_and_does_not_slow_a_fast_one() -> None:
    total, queue_limit, inflight = 400, 50, 10
    config = BrokerConfig(
        listeners=[ListenerConfig(port=0)], max_queued_messages=queue_limit, max_inflight_messages=inflight
    )
    with running(config) as broker, paho_clients() as made:
        port = broker.ports["mqtt"]
        slow = WireClient(port, V5)  # subscribes at QoS 1 and never acknowledges anything
        assert slow.connect("slow").reason_code == 0
        slow.send(Subscribe(1, [SubscriptionRequest("load/#", qos=1)], Properties()))
        assert slow.read().reason_codes == [1]
        fast = PahoClient("fast")
        made.append(fast)
        fast.connect(port)
        fast.subscribe("load/#")
        publisher = PahoClient("publisher")
        made.append(publisher)
        publisher.connect(port)
        for number in range(total):
            publisher.publish(f"load/{number}", b"x" * 100, qos=1)
        assert wait_until(lambda: fast.messages.qsize() >= total)
        assert len(fast.received()) == total  # every message, none dropped for the fast client
        session = broker.server.broker.sessions["slow"]
        assert len(session.inflight) == inflight
        assert len(session.queue) == queue_limit
        assert session.dropped_messages == total - inflight - queue_limit
        assert broker.server.broker.stats.publish_dropped >= session.dropped_messages
        slow.close()


def test_overflow_is_logged_once_per_client_per_minute(caplog) -> None:
    reporter = DropReporter()
    session = SimpleNamespace(dropped_messages=0)
    sessions = {"slow": session}
    with caplog.at_level(logging.WARNING, logger="perch.broker"):
        assert reporter.check(sessions, 100.0) == 0
        session.dropped_messages = 500
        assert reporter.check(sessions, 110.0) == 1
        session.dropped_messages = 900
        assert [reporter.check(sessions, when) for when in (120.0, 150.0, 169.0)] == [0, 0, 0]
        assert reporter.check(sessions, 175.0) == 1
    assert [record.getMessage().split(":")[1].split(" because")[0] for record in caplog.records] == [
        " 500 messages dropped",
        " 400 messages dropped",
    ]


def test_topic_depth_length_and_client_id_limits() -> None:
    config = BrokerConfig(
        listeners=[ListenerConfig(port=0)], max_topic_levels=5, max_topic_length=64, max_client_id_length=30
    )
    with running(config) as broker:
        port = broker.ports["mqtt"]
        for version, code in ((V5, ReasonCode.CLIENT_IDENTIFIER_NOT_VALID), (V311, IDENTIFIER_REJECTED_V311)):
            long_id = WireClient(port, version)
            assert long_id.connect("c" * 31).reason_code == code
            long_id.close()
        client = WireClient(port, V5)
        assert client.connect("c" * 30).reason_code == 0
        filters = ["a/b/c/d/e", "a/b/c/d/e/f", "x" * 65, "$share/g/a/b/c/d/e/f"]
        client.send(Subscribe(1, [SubscriptionRequest(f, qos=0) for f in filters], Properties()))
        invalid = ReasonCode.TOPIC_FILTER_INVALID
        assert client.read().reason_codes == [0, invalid, invalid, invalid]
        client.send(Publish(topic="a/b/c/d/e/f", payload=b"deep", qos=0))
        answer = client.read()
        assert isinstance(answer, Disconnect) and answer.reason_code == ReasonCode.TOPIC_NAME_INVALID
        client.close()


def test_paho_sees_server_busy_as_a_refusal() -> None:
    config = BrokerConfig(listeners=[ListenerConfig(port=0)], max_connections=1)
    with running(config) as broker, paho_clients() as made:
        made.append(PahoClient("first"))
        assert not made[0].connect(broker.ports["mqtt"]).is_failure
        made.append(PahoClient("second", paho.MQTTv5))
        assert made[1].connect(broker.ports["mqtt"]).value == ReasonCode.SERVER_BUSY


def test_a_backlog_is_bounded_by_bytes_too() -> None:
    config = BrokerConfig(
        listeners=[ListenerConfig(port=0)], max_queued_bytes=20_000, max_inflight_messages=1
    )
    with running(config) as broker, paho_clients() as made:
        port = broker.ports["mqtt"]
        slow = WireClient(port, V5)
        assert slow.connect("slow-bytes").reason_code == 0
        slow.send(Subscribe(1, [SubscriptionRequest("bulk/#", qos=1)], Properties()))
        assert slow.read().reason_codes == [1]
        publisher = PahoClient("bulk-publisher")
        made.append(publisher)
        publisher.connect(port)
        for number in range(100):
            publisher.publish(f"bulk/{number}", b"y" * 1000, qos=1)
        session = broker.server.broker.sessions["slow-bytes"]
        assert wait_until(
            lambda: session.dropped_messages + len(session.queue) + len(session.inflight) == 100
        )
        assert 0 < session.queued_bytes <= 20_000
        assert session.dropped_messages >= 100 - 1 - 20
        slow.close()
