"""Sans-IO MQTT 3.1, 3.1.1 and 5.0 codec: bytes in, packet records out, and back.

No sockets, no asyncio. One `StreamDecoder` per connection turns received bytes into packets; `encode`
turns a packet into bytes; `encode_publish` and `PublishTemplate` are the fast paths for fan-out.
"""

from broker.codec.encoder import encode
from broker.codec.errors import MalformedPacket, PacketTooLarge, ProtocolError, UnsupportedProtocolVersion
from broker.codec.packet_types import PacketType
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
    SubscriptionRequest,
    UnsubAck,
    Unsubscribe,
    Will,
)
from broker.codec.properties import EMPTY_PROPERTIES, Properties, PropertyId
from broker.codec.publish import PublishTemplate, encode_publish
from broker.codec.reason_codes import (
    SUBACK_FAILURE_V311,
    ConnectReturnCode,
    ProtocolVersion,
    ReasonCode,
    connack_return_code,
)
from broker.codec.stream import MAX_PACKET_SIZE, StreamDecoder, decode_packet

__all__ = [
    "EMPTY_PROPERTIES",
    "MAX_PACKET_SIZE",
    "SUBACK_FAILURE_V311",
    "Auth",
    "ConnAck",
    "Connect",
    "ConnectReturnCode",
    "Disconnect",
    "MalformedPacket",
    "Packet",
    "PacketTooLarge",
    "PacketType",
    "PingReq",
    "PingResp",
    "Properties",
    "PropertyId",
    "ProtocolError",
    "ProtocolVersion",
    "PubAck",
    "PubComp",
    "PubRec",
    "PubRel",
    "Publish",
    "PublishTemplate",
    "ReasonCode",
    "StreamDecoder",
    "SubAck",
    "Subscribe",
    "SubscriptionRequest",
    "UnsubAck",
    "Unsubscribe",
    "UnsupportedProtocolVersion",
    "Will",
    "connack_return_code",
    "decode_packet",
    "encode",
    "encode_publish",
]
