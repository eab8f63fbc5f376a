"""Bridges to upstream brokers: ``Bridge(config, local_host, local_port, state_dir)``; see docs/bridge.md."""

from broker.bridge.bridge import Bridge, BridgeStats
from broker.bridge.config import BridgeConfig, BridgeConfigError, BridgeTls, TopicRule, bridges_from_mapping

__all__ = [
    "Bridge",
    "BridgeConfig",
    "BridgeConfigError",
    "BridgeStats",
    "BridgeTls",
    "TopicRule",
    "bridges_from_mapping",
]
