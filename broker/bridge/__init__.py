"""Bridges to upstream brokers: ``Bridge(config, local_host, local_port, state_dir)``; see docs/bridge.md.

``Bridge`` (and paho-mqtt under it) is imported on first use, so a broker without bridges that only
validates ``broker.bridges`` never loads paho (about 2.5 MB of RSS).
"""

from typing import TYPE_CHECKING, Any

from broker.bridge.config import BridgeConfig, BridgeConfigError, BridgeTls, TopicRule, bridges_from_mapping

if TYPE_CHECKING:
    from broker.bridge.bridge import Bridge, BridgeStats

__all__ = [
    "Bridge",
    "BridgeConfig",
    "BridgeConfigError",
    "BridgeStats",
    "BridgeTls",
    "TopicRule",
    "bridges_from_mapping",
]


def __getattr__(name: str) -> Any:
    if name in ("Bridge", "BridgeStats"):
        from broker.bridge import bridge

        return getattr(bridge, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
