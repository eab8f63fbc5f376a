"""`encode(packet, version)`: one function for every packet type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from broker.codec.acks import encode_ack
from broker.codec.connect import encode_connack, encode_connect
from broker.codec.control import encode_auth, encode_disconnect, encode_pingreq, encode_pingresp
from broker.codec.packets import (
    Auth,
    ConnAck,
    Connect,
    Disconnect,
    Packet,
    PingReq,
    PingResp,
    PubAck,
    PubComp,
    Publish,
    PubRec,
    PubRel,
    SubAck,
    Subscribe,
    UnsubAck,
    Unsubscribe,
)
from broker.codec.publish import encode_publish_packet
from broker.codec.reason_codes import ProtocolVersion
from broker.codec.subscribe import encode_suback, encode_subscribe, encode_unsuback, encode_unsubscribe

_ENCODERS: dict[type, Callable[[Any, ProtocolVersion], bytes]] = {
    Connect: encode_connect,
    ConnAck: encode_connack,
    Publish: encode_publish_packet,
    PubAck: encode_ack,
    PubRec: encode_ack,
    PubRel: encode_ack,
    PubComp: encode_ack,
    Subscribe: encode_subscribe,
    SubAck: encode_suback,
    Unsubscribe: encode_unsubscribe,
    UnsubAck: encode_unsuback,
    PingReq: encode_pingreq,
    PingResp: encode_pingresp,
    Disconnect: encode_disconnect,
    Auth: encode_auth,
}


def encode(packet: Packet, version: ProtocolVersion) -> bytes:
    """Encode a packet for a peer speaking `version` (fields that version lacks are left out)."""
    try:
        encoder = _ENCODERS[type(packet)]
    except KeyError:
        raise TypeError(f"not an MQTT packet: {packet!r}") from None
    return encoder(packet, version)
