"""Turning a connection's byte stream into packets: framing, fixed-header checks and dispatch.

One `StreamDecoder` per connection. It buffers only the bytes that actually arrived (never allocating by
a declared length), rejects an oversize packet as soon as its fixed header is complete, and on the server
side insists that the first packet is CONNECT and takes the protocol version from it.
"""

from __future__ import annotations

from collections.abc import Callable

from broker.codec.acks import decode_ack
from broker.codec.connect import decode_connack, decode_connect
from broker.codec.control import decode_auth, decode_disconnect, decode_pingreq, decode_pingresp
from broker.codec.errors import MalformedPacket, PacketTooLarge, ProtocolError
from broker.codec.packet_types import CLIENT_TO_SERVER, REQUIRED_FLAGS, PacketType
from broker.codec.packets import Packet, PubAck, PubComp, PubRec, PubRel
from broker.codec.publish import decode_publish
from broker.codec.reason_codes import ProtocolVersion
from broker.codec.subscribe import decode_suback, decode_subscribe, decode_unsuback, decode_unsubscribe

Buffer = bytes | bytearray | memoryview
Decoder = Callable[[int, bytes, int, int, ProtocolVersion], Packet]

# The largest packet MQTT can express: a 4-byte remaining length of 268,435,455 plus the fixed header.
MAX_PACKET_SIZE = 268_435_455 + 5
_CONNECT, _PUBLISH = int(PacketType.CONNECT), int(PacketType.PUBLISH)
_PLAIN_PUBLISH = 0x30  # PUBLISH, QoS 0, RETAIN and DUP clear
_PLAIN_QOS1 = 0x32  # PUBLISH, QoS 1, RETAIN and DUP clear
_PUBACK = 0x40
_PLAIN_FIRST_BYTES = (_PLAIN_PUBLISH, _PLAIN_QOS1)

_DECODERS: dict[int, Decoder] = {
    PacketType.CONNACK: decode_connack,
    PacketType.PUBLISH: decode_publish,
    PacketType.PUBACK: lambda flags, buf, pos, end, version: decode_ack(PubAck, buf, pos, end, version),
    PacketType.PUBREC: lambda flags, buf, pos, end, version: decode_ack(PubRec, buf, pos, end, version),
    PacketType.PUBREL: lambda flags, buf, pos, end, version: decode_ack(PubRel, buf, pos, end, version),
    PacketType.PUBCOMP: lambda flags, buf, pos, end, version: decode_ack(PubComp, buf, pos, end, version),
    PacketType.SUBSCRIBE: decode_subscribe,
    PacketType.SUBACK: decode_suback,
    PacketType.UNSUBSCRIBE: decode_unsubscribe,
    PacketType.UNSUBACK: decode_unsuback,
    PacketType.PINGREQ: decode_pingreq,
    PacketType.PINGRESP: decode_pingresp,
    PacketType.DISCONNECT: decode_disconnect,
    PacketType.AUTH: decode_auth,
}


def _is_minimal_length(length_bytes: int, length: int) -> bool:
    """Whether the Remaining Length used the fewest bytes (as the encoder would), so the received
    packet is byte-for-byte what `encode_plain_publish` makes of it."""
    fewest = 1 + (length >= 128) + (length >= 16_384) + (length >= 2_097_152)
    return length_bytes == fewest


def _is_plain_shape(data: bytes, pos: int, stop: int, version: int, first_byte: int) -> bool:
    """A non-empty topic inside the packet, a non-zero packet id at QoS 1, and for MQTT 5 an empty
    property list after them."""
    if pos + 2 > stop:
        return False
    topic_length = (data[pos] << 8) | data[pos + 1]
    fields_end = pos + 2 + topic_length
    if first_byte == _PLAIN_QOS1:
        if fields_end + 2 > stop or not (data[fields_end] or data[fields_end + 1]):
            return False
        fields_end += 2
    if not topic_length or fields_end > stop:
        return False
    return version != 5 or (fields_end < stop and data[fields_end] == 0)


class StreamDecoder:
    """Decodes one connection's received bytes into packets.

    Server side (the default, `protocol_version=None`): the first packet must be CONNECT, whose level
    sets `protocol_version`. Client side (bridges, tests): pass the version the CONNECT used.
    `max_packet_size` may be changed at any time (e.g. once the engine has its configured limit).
    After `feed` raises, the decoder is spent: close the connection.

    With `fast_forms` (the broker's side), the two packets of the hot path skip their records:
    a plain PUBLISH (QoS 0; no RETAIN, DUP or properties; a non-empty topic; a minimal Remaining
    Length; QoS 1 the same with a non-zero packet id) comes out as its own bytes, which the broker
    forwards as they are
    (broker/protocol/fastpath.py; only the framing is checked here, the topic's content is validated
    with `decode_publish` the first time the broker sees those topic bytes), and a PUBACK with
    success and no properties (``40 02 id id``, the same in every version) as its packet id (an int).
    """

    __slots__ = ("_buffer", "_is_server", "fast_forms", "max_packet_size", "protocol_version")

    def __init__(
        self,
        max_packet_size: int = MAX_PACKET_SIZE,
        protocol_version: ProtocolVersion | None = None,
        fast_forms: bool = False,
    ) -> None:
        self.max_packet_size = max_packet_size
        self.protocol_version = protocol_version
        self.fast_forms = fast_forms
        self._is_server = protocol_version is None
        self._buffer = bytearray()

    @property
    def buffered_bytes(self) -> int:
        """Bytes of an incomplete packet held until the rest arrives."""
        return len(self._buffer)

    def feed(self, data: Buffer) -> list[Packet]:
        """Decode every complete packet in the bytes received so far.

        Raises `MalformedPacket` (or a subclass); its `decoded_before` lists the packets that came
        before the bad one in this chunk.
        """
        if self._buffer:
            self._buffer += data
            if self._frame_at(self._buffer, 0, len(self._buffer)) is None:
                return []  # still incomplete: no copy until a whole packet is there
            data = bytes(self._buffer)
            self._buffer = bytearray()
        elif type(data) is not bytes:
            data = bytes(data)
        packets: list[Packet] = []
        try:
            consumed = self._decode_all(data, packets)  # type: ignore[arg-type]
        except MalformedPacket as error:
            error.decoded_before = packets
            raise
        if consumed < len(data):
            self._buffer = bytearray(memoryview(data)[consumed:])
        return packets

    def _frame_at(self, data: bytes | bytearray, offset: int, end: int) -> tuple[int, int] | None:
        """The body span of the packet starting at `offset`, or None while it is incomplete."""
        first_byte = data[offset]
        if self.protocol_version is None and first_byte >> 4 != _CONNECT:
            raise ProtocolError("the first packet must be CONNECT", "MQTT-3.1.0-1")
        length = 0
        pos = offset + 1
        for shift in (0, 7, 14, 21):
            if pos >= end:
                return None
            byte = data[pos]
            pos += 1
            length |= (byte & 0x7F) << shift
            if byte < 128:
                break
        else:
            raise MalformedPacket("remaining length longer than four bytes", "MQTT5 2.1.4")
        if pos - offset + length > self.max_packet_size:
            raise PacketTooLarge(pos - offset + length, self.max_packet_size)
        if pos + length > end:
            return None
        return pos, pos + length

    def _decode_all(self, data: bytes, packets: list[Packet]) -> int:
        offset = 0
        end = len(data)
        while offset < end:
            first_byte = data[offset]
            version = self.protocol_version
            if offset + 1 < end and data[offset + 1] < 128 and version is not None:
                pos = offset + 2  # a one-byte remaining length, the common case, framed inline
                stop = pos + data[offset + 1]
                if stop - offset > self.max_packet_size:
                    raise PacketTooLarge(stop - offset, self.max_packet_size)
                if stop > end:
                    return offset
            else:
                frame = self._frame_at(data, offset, end)
                if frame is None:
                    return offset
                pos, stop = frame
            if first_byte >> 4 == _PUBLISH and version is not None:  # the hot path, dispatched inline
                if (
                    first_byte in _PLAIN_FIRST_BYTES
                    and self.fast_forms
                    and (pos - offset == 2 or _is_minimal_length(pos - offset - 1, stop - pos))
                    and _is_plain_shape(data, pos, stop, version, first_byte)
                ):
                    packets.append(data[offset:stop])
                    offset = stop
                    continue
                publish = decode_publish(first_byte & 0x0F, data, pos, stop, version)
                if (
                    first_byte == _PLAIN_PUBLISH
                    and version != 5
                    and (pos - offset == 2 or _is_minimal_length(pos - offset - 1, stop - pos))
                ):
                    publish.raw = data[offset:stop]  # QoS 0, no RETAIN/DUP: what subscribers get too
                packets.append(publish)
            elif (
                first_byte == _PUBACK and stop - pos == 2 and self.fast_forms and (data[pos] or data[pos + 1])
            ):
                packets.append((data[pos] << 8) | data[pos + 1])
            else:
                packets.append(self._decode_one(first_byte, data, pos, stop))
            offset = stop
        return offset

    def _decode_one(self, first_byte: int, data: bytes, pos: int, end: int) -> Packet:
        packet_type, flags = first_byte >> 4, first_byte & 0x0F
        version = self.protocol_version
        if packet_type == 0:
            raise MalformedPacket("packet type 0 is reserved", "MQTT-2.2.1-1")
        if flags != REQUIRED_FLAGS[packet_type]:
            raise MalformedPacket(f"invalid fixed header flags 0x{flags:x}", "MQTT-2.2.2-2")
        if self._is_server:
            if packet_type == PacketType.CONNECT:
                if version is not None:
                    raise ProtocolError("a second CONNECT on one connection", "MQTT-3.1.0-2")
                connect = decode_connect(flags, data, pos, end)
                self.protocol_version = connect.protocol_version
                return connect
            if packet_type not in CLIENT_TO_SERVER:
                raise ProtocolError(f"a client may not send {PacketType(packet_type).name}", "MQTT5 2.1.2")
        elif packet_type == PacketType.CONNECT:
            raise ProtocolError("a server may not send CONNECT", "MQTT5 2.1.2")
        return _DECODERS[packet_type](flags, data, pos, end, version)  # type: ignore[arg-type]


def decode_packet(data: Buffer, version: ProtocolVersion | None = None) -> Packet:
    """Decode exactly one complete packet (a convenience for tests and tools).

    With `version=None` the bytes must be a CONNECT; otherwise any packet type is accepted.
    """
    decoder = StreamDecoder(protocol_version=version)
    packets = decoder.feed(data)
    if len(packets) != 1 or decoder.buffered_bytes:
        raise MalformedPacket(
            f"expected one complete packet, got {len(packets)} and {decoder.buffered_bytes} left over bytes",
            "MQTT5 2.1.4",
        )
    return packets[0]
