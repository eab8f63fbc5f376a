"""asyncio transport for one MQTT connection over plain TCP (WebSocket: broker/server/websocket.py).

Both feed bytes to the same sans-IO :class:`Connection` and write everything it produced from one
read with ONE ``transport.write``. Output a read caused on other connections (the subscribers of
what was published) is written at the end of that read, before the reader's own acknowledgements
(:class:`PendingFlushes`); output made outside a read (timers, a will) on the loop's next turn. No
per-message tasks, futures or log lines.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from broker.protocol.connection import Connection
from broker.server.security import BUSY_GRACE_CONNECTIONS

if TYPE_CHECKING:
    from broker.server.app import BrokerServer

log = logging.getLogger("perch.broker")

WRITE_BUFFER_HIGH = 1024 * 1024
WRITE_BUFFER_LOW = WRITE_BUFFER_HIGH // 4  # asyncio's own ratio, as a shared constant (no int per connection)
WS_SUBPROTOCOLS = ["mqtt", "mqttv3.1"]


def _nothing_to_flush() -> None:
    """A closed connection's output hook: nothing is written once the transport is gone.

    Set in ``connection_lost`` so the connection no longer holds its transport's bound method:
    reference counting frees a finished connection at once instead of leaving a cycle of about
    nine objects (transport, connection, session, decoder, socket...) per connection to the
    cyclic garbage collector (measured with gc.DEBUG_SAVEALL over 1000 connects).
    """


class PendingFlushes:
    """The transports whose connection has output waiting, flushed together.

    A subscriber's message waiting for the next turn of the loop costs it a turn's latency (an epoll
    call and the loop's bookkeeping) and the loop a handle per subscriber; flushing them all at the
    end of the read that produced them costs neither. A read is not the only source of output, so
    one ``call_soon`` per batch still flushes whatever nobody flushed before the next turn.
    """

    __slots__ = ("pending", "scheduled")

    def __init__(self) -> None:
        self.pending: list[MqttTransport] = []
        self.scheduled = False

    def add(self, transport: MqttTransport) -> None:
        self.pending.append(transport)
        if not self.scheduled:
            self.scheduled = True
            asyncio.get_running_loop().call_soon(self.flush_all)

    def flush_all(self) -> None:
        """Flush every pending transport, including those a flush itself adds (a close publishing a will)."""
        self.scheduled = False
        for _ in range(100):  # bounded: each round only follows output the round before caused
            pending, self.pending = self.pending, []
            if not pending:
                return
            for transport in pending:
                transport.flush()
        if self.pending and not self.scheduled:
            self.scheduled = True
            asyncio.get_running_loop().call_soon(self.flush_all)


class MqttTransport(asyncio.Protocol):
    """MQTT over a byte stream (TCP).

    Slots, and nothing kept that can be looked up when needed (the peer address and the listener's
    scheme are only for log lines): an idle connection costs a few hundred bytes of Python objects.
    """

    __slots__ = ("_flush_scheduled", "_was_connected", "connection", "listener_index", "server", "transport")
    default_scheme = "mqtt"

    def __init__(self, server: BrokerServer, listener_index: int = 0) -> None:
        self.server = server
        self.listener_index = listener_index
        self.transport: asyncio.Transport | None = None
        self.connection: Connection | None = None
        self._flush_scheduled = False
        self._was_connected = False

    @property
    def scheme(self) -> str:
        """``mqtt``, ``mqtts``, ``ws`` or ``wss``: this connection's listener."""
        listeners = self.server.config.listeners
        return listeners[self.listener_index].scheme if listeners else self.default_scheme

    @property
    def peer(self) -> str:
        """The client's address as ``host:port`` (built for log lines only)."""
        peer = self.transport.get_extra_info("peername") if self.transport is not None else None
        return f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)

    # ---- asyncio.Protocol ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.set_write_buffer_limits(WRITE_BUFFER_HIGH, WRITE_BUFFER_LOW)  # type: ignore[attr-defined]
        server = self.server
        open_count, limit = len(server.transports), server.config.max_connections
        if open_count >= limit + BUSY_GRACE_CONNECTIONS:
            log.warning("refusing a connection from %s: max_connections reached", self.peer)
            transport.abort()
            return
        connection = self.connection = Connection(
            server.broker, server.limits, server.clock, "-", self._schedule_flush
        )
        # Over max_connections: still read the CONNECT, to answer "Server busy" (0x89 / 3) politely.
        connection.gatekeeper = server.security.gatekeeper(
            self.listener_index, transport, open_count >= limit
        )
        server.transports.add(self)

    def data_received(self, data: bytes) -> None:
        self.feed(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.transports.discard(self)
        connection = self.connection
        if connection is None:
            return
        connection.connection_lost()
        connection.on_output = _nothing_to_flush  # breaks the transport <-> connection cycle
        if self._was_connected:
            log.info("client %s disconnected: %s", connection.client_id, connection.close_reason)
        elif connection.close_reason != "connection lost":
            log.warning("connection from %s refused: %s", self.peer, connection.close_reason)

    def pause_writing(self) -> None:
        """The client reads slower than we write: stop reading its input too (so its own acks
        cannot pile up) and let QoS 0 drop / QoS 1-2 wait in the bounded session queue."""
        if self.connection is not None:
            self.connection.is_congested = True
        if self.transport is not None and self.transport.is_reading():
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()
        if self.connection is not None:
            self.connection.resume()
            self.flush()

    # ---- MQTT bytes ---------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        self.connection.receive(data)
        self.after_receive()

    def after_receive(self) -> None:
        connection = self.connection
        if not self._was_connected and connection.is_connected:
            self._was_connected = True
            if log.isEnabledFor(logging.INFO):  # peer and scheme are looked up for the line only
                log.info(
                    "client %s connected from %s (%s, MQTT level %d)",
                    connection.client_id,
                    self.peer,
                    self.scheme,
                    connection.version,
                )
        flushes = self.server.flushes
        if flushes.pending:  # other connections' output from this read goes first
            flushes.flush_all()
        self.flush()

    def _schedule_flush(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self.server.flushes.add(self)

    def flush(self) -> None:
        self._flush_scheduled = False
        durability = self.server.durability
        if durability is not None and durability.hold(self):
            return  # written after the group commit backing it (server/durability.py)
        connection = self.connection
        if connection is None or self.transport is None:
            return
        data = connection.take_output()
        if data and not self.transport.is_closing():
            self.write_bytes(data)
        if connection.is_closing:
            self.close_transport()

    def write_bytes(self, data: bytes) -> None:
        self.transport.write(data)

    def close_transport(self) -> None:
        if not self.transport.is_closing():
            self.transport.close()
