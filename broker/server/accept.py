"""Accepting plain TCP connections without a task per connection.

``loop.create_server`` hands every accepted socket to a coroutine: a Task, a waiter future and two
more turns of the loop before the protocol hears of it. In a connect storm (hundreds of sensors
reconnecting after a Wi-Fi drop) that costs about a sixth of the broker's time per connection. For
plain TCP on the selector event loop the transport can be made straight away, as that coroutine does
in the end: :func:`serve_plain` takes over the sockets of a server created with
``start_serving=False`` and makes each connection's transport as soon as ``accept()`` returns it:
Perch's own :class:`~broker.server.tcp.TcpTransport` (no loop turn before the protocol hears of the
connection), or asyncio's (``asyncio_transport=True``: the WebSocket listeners).

It leans on things asyncio does not document (``Server._sockets``, ``loop._make_socket_transport``
and the selector loop's ``_add_reader`` family, all in every selector event loop since Python 3.4);
when they are missing (uvloop, another loop) or the server uses TLS, the server simply starts
serving as usual. ``server.close()`` still stops accepting: it removes the reader and closes the
listening sockets (connections are closed by their owner, as with asyncio's own servers).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from collections.abc import Callable

from broker.server import tcp

log = logging.getLogger("perch.broker")

LISTEN_BACKLOG = 100  # asyncio's default for create_server
ACCEPT_BATCH = 100  # sockets taken per readiness event, as asyncio's own accept loop does
ACCEPT_RETRY_SECONDS = 1.0  # out of file descriptors or memory: pause accepting this long
RESOURCE_ERRORS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)


async def serve_plain(
    server: asyncio.Server,
    protocol_factory: Callable[[], asyncio.Protocol],
    is_tls: bool = False,
    asyncio_transport: bool = False,
) -> bool:
    """Start ``server`` (made with ``start_serving=False``); True when it accepts without tasks."""
    loop = server.get_loop()
    sockets = getattr(server, "_sockets", None)
    if is_tls or not sockets or not hasattr(loop, "_make_socket_transport") or not tcp.supports(loop):
        await server.start_serving()
        return False
    for sock in sockets:
        sock.listen(LISTEN_BACKLOG)  # what start_serving() would do first
        PlainAcceptor(loop, sock, protocol_factory, asyncio_transport).start()
    return True


class PlainAcceptor:
    """Accepts on one listening socket and gives each connection its transport at once."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        sock: socket.socket,
        protocol_factory: Callable[[], asyncio.Protocol],
        asyncio_transport: bool = False,
    ) -> None:
        self.loop = loop
        self.sock = sock
        self.protocol_factory = protocol_factory
        self.asyncio_transport = asyncio_transport
        self.read_buffer = tcp.new_read_buffer()

    def start(self) -> None:
        if self.sock.fileno() != -1:  # not closed by server.close() meanwhile
            self.loop.add_reader(self.sock.fileno(), self.accept_ready)

    def accept_ready(self) -> None:
        for _ in range(ACCEPT_BATCH):
            try:
                connection, address = self.sock.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return
            except OSError as error:
                if error.errno not in RESOURCE_ERRORS:
                    raise  # the loop logs it and keeps running, as for its own accept loop
                log.warning("cannot accept connections for %s s: %s", ACCEPT_RETRY_SECONDS, error)
                self.loop.remove_reader(self.sock.fileno())
                self.loop.call_later(ACCEPT_RETRY_SECONDS, self.start)
                return
            self.serve(connection, address)

    def serve(self, connection: socket.socket, address: object) -> None:
        try:
            connection.setblocking(False)
            protocol = self.protocol_factory()
            if self.asyncio_transport:
                self.loop._make_socket_transport(connection, protocol, extra={"peername": address})  # type: ignore[attr-defined]
            else:
                tcp.TcpTransport(self.loop, connection, protocol, address, self.read_buffer).start()
        except Exception:  # one connection's set-up failing must not stop the listener
            log.exception("cannot set up the connection from %s", address)
            connection.close()
