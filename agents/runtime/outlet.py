"""Where agents' readings, status and descriptions go: topics and payloads on top of the Publisher."""

from __future__ import annotations

import threading
import time

from agents.config.appliance import ApplianceConfig
from agents.drivers.base import Quantity, Value
from agents.publish.client import MessageHandler, Publisher
from agents.publish.discovery import discovery_messages
from agents.publish.topics import Topics, format_value, meta_payload, state_payload

UNRETAINED_COMPONENTS = {"event"}  # a retained "press" would replay to every new subscriber


class Outlet:
    """Turns agent activity into MQTT messages for one node (thread-safe)."""

    def __init__(self, config: ApplianceConfig, publisher: Publisher) -> None:
        self.node = config.node
        self.topics = Topics(config.topic_prefix, config.node)
        self.publisher = publisher
        self.json_state = config.mqtt.json_state
        self.discovery = config.home_assistant.discovery
        self.ha_prefix = config.home_assistant.prefix
        self._lock = threading.Lock()
        self._latest: dict[str, dict[str, Value]] = {}
        self._quantities: dict[str, dict[str, Quantity]] = {}
        self._discovery: dict[str, dict[str, str]] = {}
        self._status: dict[str, str] = {}

    def describe(self, agent: str, type_name: str, interval: float, quantities: list[Quantity]) -> None:
        """Publish an agent's metadata and Home Assistant discovery (stale configs are removed)."""
        messages = {}
        if self.discovery:
            messages = discovery_messages(self.ha_prefix, self.topics, self.node, agent, quantities)
        with self._lock:
            self._quantities[agent] = {quantity.name: quantity for quantity in quantities}
            stale = set(self._discovery.get(agent, {})) - set(messages)
            self._discovery[agent] = messages
        self.publisher.announce(self.topics.agent_meta(agent), meta_payload(type_name, interval, quantities))
        for topic in stale:
            self.publisher.announce(topic, b"")
        for topic, payload in messages.items():
            self.publisher.announce(topic, payload)

    def reannounce_discovery(self) -> None:
        """Home Assistant restarted (``homeassistant/status`` is ``online``): send every config again."""
        with self._lock:
            messages = [item for agent in self._discovery.values() for item in agent.items()]
        for topic, payload in messages:
            self.publisher.announce(topic, payload)

    def status(self, agent: str, text: str) -> None:
        """``ok`` or ``error: ...`` on the agent's status topic; repeated texts are not resent."""
        with self._lock:
            if self._status.get(agent) == text:
                return
            self._status[agent] = text
        self.publisher.announce(self.topics.agent_status(agent), text)

    def readings(self, agent: str, readings: dict[str, Value], epoch: float | None = None) -> None:
        """Plain values per quantity, then the agent's JSON state with the reading's timestamp."""
        if not readings:
            return
        epoch = time.time() if epoch is None else epoch
        with self._lock:
            known = self._quantities.get(agent, {})
            latest = self._latest.setdefault(agent, {})
            latest.update({name: value for name, value in readings.items() if self._retained(known, name)})
            state = dict(latest)
        messages = [
            (self.topics.quantity(agent, name), format_value(value), self._retained(known, name))
            for name, value in readings.items()
        ]
        if self.json_state:
            messages.append((self.topics.agent_state(agent), state_payload(state, epoch), True))
        self.publisher.publish_readings(messages)

    @staticmethod
    def _retained(known: dict[str, Quantity], name: str) -> bool:
        quantity = known.get(name)
        return quantity is None or quantity.component not in UNRETAINED_COMPONENTS

    def listen(self, agent: str, handler: MessageHandler) -> None:
        self.publisher.subscribe(self.topics.command(agent), handler)

    def withdraw(self, agent: str) -> None:
        """An agent was removed: clear its retained topics and its Home Assistant entities."""
        self.publisher.unsubscribe(self.topics.command(agent))
        with self._lock:
            discovery = self._discovery.pop(agent, {})
            quantities = self._quantities.pop(agent, {})
            self._latest.pop(agent, None)
            self._status.pop(agent, None)
        for topic in discovery:
            self.publisher.announce(topic, b"")
        for topic in (self.topics.agent_meta(agent), self.topics.agent_status(agent)):
            self.publisher.announce(topic, b"")
        removals = [(self.topics.quantity(agent, name), "", True) for name in quantities]
        if self.json_state:
            removals.append((self.topics.agent_state(agent), "", True))
        self.publisher.publish_readings(removals)
