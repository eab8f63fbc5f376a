# ruff: noqa: RUF009 - option() returns a dataclasses.field
"""The appliance config file (``perch.yaml`` plus ``agents.d/*.yaml``): schema, defaults, loading.

Every section is a dataclass whose fields carry help text, so the same definitions validate the YAML
and render ``docs/config-reference.md``. ``load_config`` reports every problem of every file at once.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.drivers.options import Duration, option

TOPIC_WORD = re.compile(r"^[A-Za-z0-9_-]+$")
TOPIC_PREFIX = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$")
DROP_IN_FOLDER = "agents.d"


@dataclass
class TlsSettings:
    ca_certs: str | None = option(None, help="CA certificate file that signed the broker's certificate")
    certfile: str | None = option(None, help="client certificate file (for brokers that require one)")
    keyfile: str | None = option(None, help="client private key file")
    insecure: bool = option(False, help="skip the broker hostname check (self-signed test setups only)")


@dataclass
class MqttSettings:
    host: str = option("localhost", help="broker the agents publish to")
    port: int = option(1883, help="broker port", minimum=1, maximum=65535)
    username: str | None = option(None, help="user name")
    password: str | None = option(None, help="password (prefer password_file)")
    password_file: str | None = option(None, help="file whose first line is the password")
    tls: TlsSettings | None = option(None, help="connect with TLS (a mapping, may be empty: {})")
    client_id: str | None = option(None, help="MQTT client id; default perch-agents-<node>")
    keepalive: Duration = option(60.0, help="MQTT keepalive", minimum=5, maximum=65535)
    json_state: bool = option(True, help="also publish each agent's readings as JSON with a timestamp")


@dataclass
class HomeAssistantSettings:
    discovery: bool = option(True, help="announce every quantity to Home Assistant")
    prefix: str = option("homeassistant", help="Home Assistant's discovery prefix")


@dataclass
class SpoolSettings:
    path: str | None = option(None, help="spool database; default <state_dir>/spool.sqlite")
    max_messages: int = option(10000, help="readings kept while the broker is away", minimum=10)
    max_bytes: int = option(8_000_000, help="payload bytes kept while the broker is away", minimum=10_000)


@dataclass
class AgentCommon:
    """Fields every agent has, whatever its type."""

    name: str = option(help="topic-safe name, unique on the node: letters, digits, _ and -")
    type: str | None = option(None, help="agent type (see below); not needed with module")
    interval: Duration = option(30.0, help="time between two reads", minimum=0.05)
    filters: Any = option(None, help="filter chain for every quantity, or {quantity: chain}")
    enabled: bool = option(True, help="false keeps the entry but runs nothing")
    module: str | None = option(None, help="local driver class, package.module:Class")


@dataclass
class TopLevel:
    node: str | None = option(None, help="this Pi's topic segment; default: the hostname")
    topic_prefix: str = option("perch", help="first topic level(s)")
    simulate: bool = option(False, help="run every agent on emulated pins and chips")
    state_dir: str = option("/var/lib/perch", help="where counters and the spool live")
    broker: Any = option(None, help="the broker's own section (validated by the broker)")
    agents: Any = option(None, help="list of agents (see Agent fields)")
    mqtt: MqttSettings = option(default_factory=MqttSettings, help="how the agents reach a broker")
    home_assistant: HomeAssistantSettings = option(
        default_factory=HomeAssistantSettings, help="Home Assistant MQTT discovery"
    )
    spool: SpoolSettings = option(default_factory=SpoolSettings, help="on-disk buffer for broker outages")
    image: Any = option(None, help="SD-card image settings (validated by perch image)")


@dataclass
class AgentConfig:
    """One validated agent entry."""

    name: str
    type: str
    interval: float
    filters: dict[str | None, list[Any]]
    enabled: bool
    driver: type
    options: Any
    raw: dict[str, Any] = field(repr=False)  # the entry as written, to tell changed agents apart
    file: str = ""
    mark: Any = None  # where its name is written (an errors.Mark)


@dataclass
class ApplianceConfig:
    node: str
    topic_prefix: str
    simulate: bool
    state_dir: Path
    mqtt: MqttSettings
    home_assistant: HomeAssistantSettings
    spool: SpoolSettings
    broker: Any
    image: Any
    agents: list[AgentConfig]
    files: list[Path]

    @property
    def base_topic(self) -> str:
        return f"{self.topic_prefix}/{self.node}"


def default_node() -> str:
    word = re.sub(r"[^A-Za-z0-9_-]", "-", socket.gethostname().split(".")[0])
    return word or "perch"


def drop_in_files(main_file: Path) -> list[Path]:
    folder = main_file.parent / DROP_IN_FOLDER
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []
