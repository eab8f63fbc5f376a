"""$SYS/broker/... values with Mosquitto's names, published retained when they change."""

from __future__ import annotations

from broker.core.broker import Broker
from broker.core.subscriptions import Subscription
from broker.server.sys_topics import SysPublisher


class Recorder:
    def __init__(self) -> None:
        self.delivered = []

    def deliver(self, delivery) -> None:
        self.delivered.append(delivery)

    def take_over(self) -> None:
        pass


def test_values_use_mosquitto_names_and_count_traffic():
    broker = Broker()
    publisher = SysPublisher(broker, started_at=100.0)
    broker.stats.messages_received = 6
    broker.stats.bytes_received = 600
    values = publisher.values(160.0)
    assert values["uptime"] == "60 seconds"
    assert values["messages/received"] == "6"
    assert values["bytes/received"] == "600"
    assert values["version"].startswith("perch")
    assert {"clients/connected", "messages/sent", "bytes/sent", "load/messages/received/1min"} <= set(values)


def test_published_retained_and_only_when_changed():
    broker = Broker()
    watcher = Recorder()
    session, _ = broker.open_session("w", True, watcher, 0)
    broker.subscribe(session, Subscription("w", "$SYS/broker/#", 0), 0)
    publisher = SysPublisher(broker, started_at=0.0)
    publisher.publish(10.0)
    first = {d.message.topic for d in watcher.delivered}
    assert "$SYS/broker/clients/connected" in first
    assert broker.retained.match("$SYS/broker/version", 10.0)[0].retain is True
    publisher.publish(10.0)  # the retained count now includes the $SYS messages themselves
    watcher.delivered.clear()
    publisher.publish(10.0)
    assert watcher.delivered == []  # nothing changed
    broker.stats.messages_received += 60
    publisher.publish(20.0)
    changed = {d.message.topic for d in watcher.delivered}
    assert "$SYS/broker/messages/received" in changed
    assert "$SYS/broker/version" not in changed
    rate = float(publisher.values(20.0)["load/messages/received/1min"])
    assert rate > 0
