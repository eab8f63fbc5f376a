"""``$SYS/broker/...`` statistics, with Mosquitto's topic names, published retained every interval."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from broker.core.broker import Broker
from broker.core.messages import Message

VERSION = "perch 0.1.0"
_LOAD_WINDOWS = {"1min": 60.0, "5min": 300.0, "15min": 900.0}
_LOAD_COUNTERS = {
    "messages/received": "messages_received",
    "messages/sent": "messages_sent",
    "bytes/received": "bytes_received",
    "bytes/sent": "bytes_sent",
    "publish/received": "publish_received",
    "publish/sent": "publish_sent",
    "connections": "connections_total",
}


@dataclass
class SysPublisher:
    """Publishes the broker's counters; load averages are per-minute rates decayed like ``uptime``'s."""

    broker: Broker
    started_at: float
    _last_time: float | None = None
    _last_counts: dict[str, int] = field(default_factory=dict)
    _loads: dict[str, float] = field(default_factory=dict)
    _last_sent: dict[str, str] = field(default_factory=dict)

    def values(self, now: float) -> dict[str, str]:
        broker = self.broker
        stats = broker.stats
        connected = broker.clients_connected
        values = {
            "version": VERSION,
            "uptime": f"{int(now - self.started_at)} seconds",
            "clients/connected": str(connected),
            "clients/active": str(connected),
            "clients/total": str(len(broker.sessions)),
            "clients/disconnected": str(len(broker.sessions) - connected),
            "messages/received": str(stats.messages_received),
            "messages/sent": str(stats.messages_sent + stats.publish_sent),
            "bytes/received": str(stats.bytes_received),
            "bytes/sent": str(stats.bytes_sent),
            "publish/messages/received": str(stats.publish_received),
            "publish/messages/sent": str(stats.publish_sent),
            "publish/messages/dropped": str(stats.publish_dropped),
            "retained messages/count": str(broker.retained.count),
            "subscriptions/count": str(broker.subscriptions.count),
            "store/messages/count": str(sum(s.unfinished_messages for s in broker.sessions.values())),
        }
        values.update(self._load_values(now))
        return values

    def _load_values(self, now: float) -> dict[str, str]:
        stats = self.broker.stats
        counts = {name: getattr(stats, attribute) for name, attribute in _LOAD_COUNTERS.items()}
        counts["messages/sent"] += stats.publish_sent
        elapsed = None if self._last_time is None else now - self._last_time
        result = {}
        for name, count in counts.items():
            rate = 0.0
            if elapsed:
                rate = (count - self._last_counts.get(name, 0)) * 60.0 / elapsed
            for window, seconds in _LOAD_WINDOWS.items():
                key = f"load/{name}/{window}"
                previous = self._loads.get(key, rate)
                decay = math.exp(-(elapsed or 0.0) / seconds)
                self._loads[key] = load = rate + (previous - rate) * decay
                result[key] = f"{load:.2f}"
        self._last_time, self._last_counts = now, counts
        return result

    def publish(self, now: float) -> None:
        """Publish every value that changed (all of them the first time)."""
        for name, value in self.values(now).items():
            if self._last_sent.get(name) == value:
                continue
            self._last_sent[name] = value
            topic = f"$SYS/broker/{name}"
            self.broker.publish(Message(topic, value.encode(), 0, True, sender_id="$SYS"), now)
