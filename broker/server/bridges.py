"""The configured bridges (``broker.bridges``) in the running server: started once the listeners
are up, stopped before they close, their state published locally as Mosquitto does.

Each bridge's local side is an MQTT client of this broker on a plain TCP listener reachable over
loopback (``docs/bridge.md``). Its spool lives in ``<state_dir>/<name>.spool``: next to the
persistence folder when there is one (``<persistence.path>-bridges``), else in a folder under the
system's temporary directory (then a restart loses what was spooled).
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from broker.core.messages import Message

if TYPE_CHECKING:
    from broker.bridge import Bridge
    from broker.bridge.config import BridgeConfig
    from broker.config import BrokerConfig
    from broker.core.broker import Broker

log = logging.getLogger("perch.broker")
LOOPBACK_REACHABLE = ("127.0.0.1", "0.0.0.0", "localhost", "::", "")


class BridgeSetupError(ValueError):
    """The bridges cannot run on this server (no loopback listener for their local side)."""


def bridge_state_dir(config: BrokerConfig) -> Path:
    """Where the bridges keep their spools."""
    persistence = config.persistence
    if isinstance(persistence, dict) and isinstance(persistence.get("path"), str):
        folder = Path(persistence["path"])
        return folder.with_name(folder.name + "-bridges")
    return Path(tempfile.gettempdir()) / "perch-bridges"


def local_listener(config: BrokerConfig, listening: list[tuple[str, str, int]]) -> tuple[int, bool]:
    """(port, admits anonymous clients) of a plain MQTT listener the bridges reach on 127.0.0.1."""
    for (scheme, bind, port), listener in zip(listening, config.listeners, strict=False):
        if scheme == "mqtt" and bind in LOOPBACK_REACHABLE:
            anonymous = listener.allow_anonymous
            return port, config.allow_anonymous if anonymous is None else anonymous
    raise BridgeSetupError(
        "broker.bridges: a bridge needs a plain MQTT listener bound to 127.0.0.1 (or all addresses)"
    )


class ServerBridges:
    """Every configured bridge of one server."""

    def __init__(self, config: BrokerConfig, broker: Broker) -> None:
        from broker.bridge import bridges_from_mapping

        self.config = config
        self.broker = broker
        self.configs = bridges_from_mapping(config.bridges or None) if config.bridges else []
        self.bridges: list[Bridge] = []
        self._published: dict[str, bool] = {}

    async def start(self, listening: list[tuple[str, str, int]]) -> None:
        """Start each bridge; they connect in the background (an unreachable upstream is retried)."""
        if not self.configs:
            return
        from broker.bridge import Bridge

        port, anonymous = local_listener(self.config, listening)
        state_dir = bridge_state_dir(self.config)
        for bridge_config in self.configs:
            if not anonymous and bridge_config.local_username is None:
                log.warning(
                    "bridge %s: the listener on 127.0.0.1:%d refuses anonymous clients; give the bridge "
                    "local_username and local_password_file",
                    bridge_config.name,
                    port,
                )
            try:
                credentials = _credentials(bridge_config)
            except ValueError as error:  # an unreadable local_password_file
                raise BridgeSetupError(str(error)) from error
            bridge = Bridge(bridge_config, "127.0.0.1", port, state_dir, local_credentials=credentials)
            bridge.start()
            self.bridges.append(bridge)
            log.info("bridge %s: forwarding to %s", bridge_config.name, bridge_config.address)

    def publish_states(self, now: float) -> None:
        """``$SYS/broker/connection/<name>/state``: ``1`` connected, ``0`` not (retained, on change)."""
        for bridge in self.bridges:
            connected = bridge.is_connected
            if self._published.get(bridge.config.name) is connected:
                continue
            self._published[bridge.config.name] = connected
            payload = b"1" if connected else b"0"
            self.broker.publish(Message(bridge.config.state_topic, payload, 0, True, sender_id="$SYS"), now)

    async def stop(self) -> None:
        """Stop every bridge (each drains and commits its spool) while the listeners still run."""
        bridges, self.bridges = self.bridges, []
        loop = asyncio.get_running_loop()
        for bridge in bridges:
            await loop.run_in_executor(None, bridge.stop)


def _credentials(bridge_config: BridgeConfig) -> tuple[str, str] | None:
    """The local user, when the bridge config names one (``local_username`` / ``local_password_file``)."""
    if bridge_config.local_username is None:
        return None
    return bridge_config.local_username, bridge_config.read_local_password()
