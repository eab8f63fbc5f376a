"""Per-connection limits the broker enforces and advertises (from the ``broker:`` config)."""

from __future__ import annotations

from dataclasses import dataclass

MAX_PACKET_SIZE_LIMIT = 268_435_455 + 5  # remaining length maximum plus a 5-byte fixed header


@dataclass(frozen=True, slots=True)
class ProtocolLimits:
    """What one connection may do.

    ``max_keepalive`` (0: no limit) is advertised to MQTT 5 clients as Server Keep Alive when the
    client asks for more (or for none) [MQTT-3.2.2-21]. ``receive_maximum`` bounds the QoS 2
    messages a client may have unreleased [MQTT-3.3.4-7]; ``max_inflight`` bounds what we send
    unacknowledged (never more than the client's own Receive Maximum [MQTT-3.3.4-9]).
    """

    max_keepalive: int = 0
    max_packet_size: int = MAX_PACKET_SIZE_LIMIT
    receive_maximum: int = 100
    max_inflight: int = 100
    topic_alias_maximum: int = 10
    outgoing_topic_aliases: bool = True
    connect_timeout: float = 10.0
    max_client_id_length: int = 65535
    max_topic_length: int = 65535  # bytes (broker/protocol/limit_checks.py)
    max_topic_levels: int = 200
