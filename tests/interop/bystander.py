"""A well-behaved client pair streaming numbered QoS 1 messages while a test misbehaves next to it.

MQTT 4.13 has a protocol error close only the offending connection; the bystander proves that nobody else
noticed: every message it published arrives, once, in order, and both of its connections stay up.
"""

from __future__ import annotations

import threading
import time

from tests.interop.brokers import unique_id
from tests.interop.paho_client import PahoClient

INTERVAL = 0.01


class Bystander:
    def __init__(self, publisher: PahoClient, subscriber: PahoClient) -> None:
        self.publisher, self.subscriber = publisher, subscriber
        self.topic = unique_id("bystander")
        subscriber.subscribe(self.topic, 1)
        self.sent = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._stream, name="bystander", daemon=True)
        self.thread.start()
        self.wait_for_more(5)

    def _stream(self) -> None:
        for number in range(100_000):
            if self.stopping.wait(INTERVAL):
                return
            self.publisher.client.publish(self.topic, str(number).encode(), qos=1)
            self.sent = number + 1

    def wait_for_more(self, count: int, timeout: float = 5.0) -> None:
        target, deadline = self.sent + count, time.monotonic() + timeout
        while self.sent < target and time.monotonic() < deadline:
            time.sleep(INTERVAL)

    def check(self) -> None:
        """Stop streaming (after a few more messages) and require every message, in order, on both links."""
        self.wait_for_more(5)
        self.stopping.set()
        self.thread.join(timeout=5)
        received = [int(message.payload) for message in self.subscriber.receive(self.sent, timeout=10)]
        assert received == list(range(self.sent)), "the bystander lost, doubled or reordered messages"
        assert self.publisher.client.is_connected() and self.subscriber.client.is_connected()
        self.subscriber.receive_none(0.1)
