"""A well-behaved client streaming QoS 1 messages to itself while the corpus abuses the broker.

The publisher sends numbered messages on its own topic at a steady, bounded rate; the subscriber
(a separate connection) records what arrives. At the end every number must have arrived exactly
in order: abuse aimed at other connections must cost this one nothing.
"""

from __future__ import annotations

import threading
import time
import uuid

import paho.mqtt.client as mqtt

MAX_MESSAGES = 6000  # 100/s for a minute: a bound, not a target
INTERVAL = 0.01


class Bystander:
    def __init__(self, host: str, port: int) -> None:
        tag = uuid.uuid4().hex[:8]
        self.topic = f"bystander/{tag}"
        self.sent = 0
        self.received: list[int] = []
        self._arrived = threading.Condition()
        self._stop = threading.Event()
        self.subscriber = self._client(f"bystander-sub-{tag}")
        self.publisher = self._client(f"bystander-pub-{tag}")
        self.subscriber.on_message = self._on_message
        self._connect(self.subscriber, host, port)
        result, _ = self.subscriber.subscribe(self.topic, qos=1)
        assert result == mqtt.MQTT_ERR_SUCCESS
        self._connect(self.publisher, host, port)
        self._thread = threading.Thread(target=self._publish_loop, name="bystander", daemon=True)

    @staticmethod
    def _client(client_id: str) -> mqtt.Client:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        client.max_inflight_messages_set(20)
        return client

    @staticmethod
    def _connect(client: mqtt.Client, host: str, port: int) -> None:
        client.connect(host, port, keepalive=30)
        client.loop_start()
        deadline = time.monotonic() + 10
        while not client.is_connected() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert client.is_connected(), "bystander could not connect"

    def _on_message(self, _client, _userdata, message) -> None:
        with self._arrived:
            self.received.append(int(message.payload))
            self._arrived.notify_all()

    def _publish_loop(self) -> None:
        while self.sent < MAX_MESSAGES and not self._stop.wait(INTERVAL):
            self.publisher.publish(self.topic, str(self.sent).encode(), qos=1)
            self.sent += 1

    def start(self) -> None:
        # Let the SUBACK arrive before streaming, so message 0 is already routed to us.
        time.sleep(0.2)
        self._thread.start()

    def stop(self, drain_timeout: float = 10.0) -> None:
        """Stop publishing and wait (bounded) for everything sent to arrive."""
        self._stop.set()
        self._thread.join(timeout=5)
        deadline = time.monotonic() + drain_timeout
        with self._arrived:
            while len(self.received) < self.sent and time.monotonic() < deadline:
                self._arrived.wait(timeout=0.1)
        for client in (self.publisher, self.subscriber):
            client.disconnect()
            client.loop_stop()

    def problems(self) -> str:
        """'' when every message arrived once and in order, else what went wrong."""
        expected = list(range(self.sent))
        if self.received == expected:
            return ""
        missing = sorted(set(expected) - set(self.received))
        return (
            f"sent {self.sent}, received {len(self.received)}; missing {missing[:20]}; "
            f"in order: {self.received == sorted(self.received)}"
        )
