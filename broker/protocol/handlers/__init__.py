"""One handler per packet type a client may send; ``HANDLERS`` maps the type to its handler."""

from __future__ import annotations

from broker.codec import PacketType
from broker.protocol.errors import ProtocolViolation
from broker.protocol.handlers.acks import handle_puback, handle_pubcomp, handle_pubrec, handle_pubrel
from broker.protocol.handlers.connect import handle_connect
from broker.protocol.handlers.publish import handle_publish
from broker.protocol.handlers.session import handle_auth, handle_disconnect, handle_pingreq
from broker.protocol.handlers.subscribe import handle_subscribe, handle_unsubscribe


def _not_from_a_client(conn: object, packet: object) -> None:
    from broker.codec import ReasonCode

    raise ProtocolViolation(ReasonCode.PROTOCOL_ERROR, f"a client may not send {type(packet).__name__}")


HANDLERS = {
    PacketType.CONNECT: handle_connect,
    PacketType.CONNACK: _not_from_a_client,
    PacketType.PUBLISH: handle_publish,
    PacketType.PUBACK: handle_puback,
    PacketType.PUBREC: handle_pubrec,
    PacketType.PUBREL: handle_pubrel,
    PacketType.PUBCOMP: handle_pubcomp,
    PacketType.SUBSCRIBE: handle_subscribe,
    PacketType.SUBACK: _not_from_a_client,
    PacketType.UNSUBSCRIBE: handle_unsubscribe,
    PacketType.UNSUBACK: _not_from_a_client,
    PacketType.PINGREQ: handle_pingreq,
    PacketType.PINGRESP: _not_from_a_client,
    PacketType.DISCONNECT: handle_disconnect,
    PacketType.AUTH: handle_auth,
}
