"""One client connection's state machine, sans-IO.

The server feeds received bytes to :meth:`Connection.receive`; everything the connection must send
accumulates in ``outbox`` and is taken with :meth:`take_output` in one piece (one transport write
per read). ``is_closing`` tells the server to close the transport after writing. Deliveries routed
from other connections land in the outbox too and ``on_output`` is called once so the server can
schedule a flush. Time comes from the injected ``clock``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import Enum
from types import MappingProxyType

from broker.codec import (
    MalformedPacket,
    PacketType,
    Properties,
    ProtocolVersion,
    PubRel,
    ReasonCode,
    UnsupportedProtocolVersion,
)
from broker.codec.encoder import encode
from broker.codec.stream import StreamDecoder
from broker.core.broker import Broker
from broker.core.sessions import Session
from broker.protocol import outgoing
from broker.protocol.errors import (
    ConnectRefused,
    ProtocolViolation,
    disconnect_packet,
    reason_of,
    refusal_packet,
)
from broker.protocol.fastpath import Routes, forward_plain
from broker.protocol.handlers import HANDLERS
from broker.protocol.handlers.acks import acknowledge_qos1
from broker.protocol.limits import MAX_PACKET_SIZE_LIMIT, ProtocolLimits

log = logging.getLogger("perch.broker")
NO_ALIASES = MappingProxyType({})  # until an MQTT 5 CONNECT brings its own (handlers/connect.py)


class State(Enum):
    AWAIT_CONNECT = "await-connect"
    CONNECTED = "connected"
    CLOSED = "closed"


class Connection:
    """The broker's side of one MQTT connection."""

    __slots__ = (
        "_receiving",
        "broker",
        "client_id",
        "client_maximum_packet_size",
        "client_receive_maximum",
        "client_topic_alias_maximum",
        "clock",
        "close_reason",
        "decoder",
        "drain_pending",
        "gatekeeper",
        "incoming_aliases",
        "is_closing",
        "is_congested",
        "keep_alive",
        "last_received",
        "limits",
        "on_output",
        "opened_at",
        "outbox",
        "outgoing_aliases",
        "peer",
        "plain_routes",
        "problem_information",
        "send_window",
        "session",
        "state",
        "version",
    )

    def __init__(
        self,
        broker: Broker,
        limits: ProtocolLimits,
        clock: Callable[[], float],
        peer: str = "-",
        on_output: Callable[[], None] | None = None,
    ) -> None:
        self.broker = broker
        self.limits = limits
        self.clock = clock
        self.peer = peer
        self.on_output = on_output or (lambda: None)
        self.decoder = StreamDecoder(limits.max_packet_size, fast_forms=True)
        self.state = State.AWAIT_CONNECT
        self.version: ProtocolVersion | None = None
        self.client_id = ""
        self.session: Session | None = None
        self.outbox: list[bytes] = []
        self.is_closing = False
        self.close_reason = ""
        self.opened_at = self.last_received = clock()
        self.keep_alive = 0
        self.client_receive_maximum = 65535
        self.send_window = min(65535, limits.max_inflight)  # unacknowledged QoS 1/2 allowed at once
        self.client_maximum_packet_size = MAX_PACKET_SIZE_LIMIT
        self.client_topic_alias_maximum = 0
        self.problem_information = True
        self.incoming_aliases: dict[int, str] = NO_ALIASES  # type: ignore[assignment]
        self.outgoing_aliases: dict[str, int] = NO_ALIASES  # type: ignore[assignment]
        self.is_congested = False
        self.drain_pending = False  # a PUBACK freed room while messages wait: drain after this read
        self.plain_routes: Routes | None = None  # made on the first plain PUBLISH (fastpath.py)
        self._receiving = False
        self.gatekeeper = None  # this listener's gatekeeper (broker/server/security.py); None: the broker's

    # ---- input --------------------------------------------------------------------------------

    def receive(self, data: bytes) -> None:
        """Process bytes from the client; any violation closes this connection only."""
        if self.is_closing:
            return
        self.last_received = self.clock()
        self.broker.stats.bytes_received += len(data)
        self._receiving = True
        try:
            try:
                packets = self.decoder.feed(data)
            except MalformedPacket as error:
                self._handle_all(error.decoded_before)
                if not self.is_closing:
                    self._fail(error)
                return
            self._handle_all(packets)
            if self.drain_pending:
                self.drain_pending = False
                outgoing.drain_queue(self)
        finally:
            self._receiving = False

    def _handle_all(self, packets: list) -> None:
        """Handle decoded packets in order; runs of raw plain PUBLISH bytes go to the fast path."""
        stats = self.broker.stats
        index, end = 0, len(packets)
        while index < end and not self.is_closing:
            packet = packets[index]
            try:
                if type(packet) is bytes:
                    index = forward_plain(self, packets, index)
                    continue
                index += 1
                stats.messages_received += 1
                if type(packet) is int:  # a plain PUBACK's packet id (StreamDecoder fast_forms)
                    acknowledge_qos1(self, packet)
                    continue
                HANDLERS[packet.packet_type](self, packet)
            except (ProtocolViolation, ConnectRefused, MalformedPacket) as error:
                self._fail(error)
                return
            except Exception as error:  # a bug here must cost one connection, never the broker
                stats.internal_errors += 1
                log.exception("internal error handling %s from %s", type(packet).__name__, self.client_id)
                self._fail(
                    ProtocolViolation(ReasonCode.IMPLEMENTATION_SPECIFIC_ERROR, f"internal error: {error}")
                )
                return

    def _fail(self, error: Exception) -> None:
        """Answer a violation the way the spec allows for this version and state, then close."""
        reason = reason_of(error)
        text = str(error)
        if self.state is State.AWAIT_CONNECT:
            # A CONNECT that failed to decode still names its version (MalformedPacket.protocol_version).
            decoded_version = self.version or self.decoder.protocol_version
            version = decoded_version or getattr(error, "protocol_version", None)
            if isinstance(error, UnsupportedProtocolVersion):
                version = ProtocolVersion.V311  # the 3.1.1 CONNACK layout every level understands
                reason = ReasonCode.UNSUPPORTED_PROTOCOL_VERSION
            packet = refusal_packet(version, reason, text if self.problem_information else None)
            if packet is not None:
                self.write(encode(packet, version))
        else:
            packet = disconnect_packet(self.version, reason, text if self.problem_information else None)
            if packet is not None:
                self.send(packet)
        self.close(f"{text} (reason 0x{reason:02X})", publish_will=True)

    # ---- output -------------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        if not self.outbox and not self._receiving:
            self.outbox.append(data)
            self.on_output()
            return
        self.outbox.append(data)

    def write_many(self, chunks: list[bytes]) -> None:
        """Queue several packets' bytes at once (a run from the fast path)."""
        if not self.outbox and not self._receiving:
            self.outbox.extend(chunks)
            self.on_output()
            return
        self.outbox.extend(chunks)

    def send(self, packet: object) -> None:
        """Encode and queue a control packet, within the client's Maximum Packet Size.

        Too large with its reason string and user properties: they are left out [MQTT-3.1.2-25];
        still too large: not sent at all.
        """
        data = encode(packet, self.version or ProtocolVersion.V311)
        if len(data) > self.client_maximum_packet_size:
            properties = getattr(packet, "properties", None)
            if properties is None or properties.is_empty():
                return
            packet.properties = Properties()
            data = encode(packet, self.version)
            if len(data) > self.client_maximum_packet_size:
                return
        self.write(data)
        self.broker.stats.messages_sent += 1

    def send_pubrel(self, packet_id: int) -> None:
        self.send(PubRel(packet_id))

    def take_output(self) -> bytes:
        """Everything to write now, as one chunk (empty when nothing is pending)."""
        if not self.outbox:
            return b""
        data = self.outbox[0] if len(self.outbox) == 1 else b"".join(self.outbox)
        self.outbox.clear()
        self.broker.stats.bytes_sent += len(data)
        return data

    def set_client_receive_maximum(self, value: int) -> None:
        """The client's Receive Maximum; the send window is kept as a plain attribute because the
        QoS 1 path reads it per message [MQTT-3.3.4-9]."""
        self.client_receive_maximum = value
        self.send_window = min(value, self.limits.max_inflight)

    # ---- calls from the core (Subscriber protocol) --------------------------------------------

    deliver = outgoing.deliver  # Subscriber.deliver(delivery), without an extra call on the hot path

    def resume(self) -> None:
        """The transport drained its write buffer: send what waited in the session queue."""
        self.is_congested = False
        if self.is_connected:
            outgoing.drain_queue(self)

    def take_over(self) -> None:
        """A new connection took the session: DISCONNECT 0x8E (MQTT 5) and close [MQTT-3.1.4-3]."""
        packet = disconnect_packet(self.version, ReasonCode.SESSION_TAKEN_OVER)
        if packet is not None:
            self.send(packet)
        self.close("session taken over", publish_will=False)

    # ---- lifecycle ----------------------------------------------------------------------------

    def close(self, reason: str, publish_will: bool) -> None:
        """End the connection (once); the session is detached and the will handled by the core."""
        if self.is_closing:
            return
        self.is_closing = True
        self.close_reason = reason
        if self.state is State.CONNECTED and self.session is not None:
            self.broker.detach(self.session, self, publish_will, self.clock())
        self.state = State.CLOSED
        if not self._receiving:
            self.on_output()

    def connection_lost(self) -> None:
        """The transport went away without a DISCONNECT: an abnormal end, so the will goes out."""
        self.close("connection lost", publish_will=True)

    def check_timers(self, now: float) -> None:
        """Drop a client that never sent CONNECT, or that was silent for 1.5 x keepalive [MQTT-3.1.2-24]."""
        if self.is_closing:
            return
        if self.state is State.AWAIT_CONNECT:
            if now - self.opened_at > self.limits.connect_timeout:
                self.close("no CONNECT in time", publish_will=False)
            return
        if self.keep_alive and now - self.last_received > 1.5 * self.keep_alive:
            self._fail(ProtocolViolation(ReasonCode.KEEP_ALIVE_TIMEOUT, "keepalive expired", "MQTT-3.1.2-24"))

    @property
    def is_connected(self) -> bool:
        return self.state is State.CONNECTED


__all__ = ["Connection", "PacketType", "State"]
