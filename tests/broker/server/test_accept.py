"""Accepting plain TCP connections without a task each: same transports, same shutdown, no stall."""

from __future__ import annotations

import asyncio
import errno
import socket

import pytest

from broker.server import accept
from broker.server.accept import PlainAcceptor, serve_plain
from broker.server.tcp import TcpTransport


class Echo(asyncio.Protocol):
    made: list[Echo] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        Echo.made.append(self)

    def data_received(self, data: bytes) -> None:
        self.transport.write(data.upper())


async def _round_trip(port: int, data: bytes = b"ping") -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    answer = await asyncio.wait_for(reader.read(64), 5)
    writer.close()
    await writer.wait_closed()
    return answer


def test_connections_get_their_transport_without_a_task_and_stop_with_the_server():
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(Echo, "127.0.0.1", 0, start_serving=False)
        port = server.sockets[0].getsockname()[1]
        assert await serve_plain(server, Echo) is True
        assert await _round_trip(port) == b"PING"
        assert await _round_trip(port, b"again") == b"AGAIN"
        peer = Echo.made[-1].transport.get_extra_info("peername")
        assert peer[0] == "127.0.0.1"
        server.close()
        await server.wait_closed()
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", port)

    asyncio.run(scenario())


def test_a_tls_server_starts_serving_the_usual_way():
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(Echo, "127.0.0.1", 0, start_serving=False)
        assert await serve_plain(server, Echo, is_tls=True) is False
        assert server.is_serving()
        assert await _round_trip(server.sockets[0].getsockname()[1]) == b"PING"
        server.close()
        await server.wait_closed()

    asyncio.run(scenario())


def test_a_failing_set_up_costs_that_connection_only():
    calls = []

    def factory() -> asyncio.Protocol:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("first one breaks")
        return Echo()

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(factory, "127.0.0.1", 0, start_serving=False)
        port = server.sockets[0].getsockname()[1]
        await serve_plain(server, factory)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        assert await asyncio.wait_for(reader.read(64), 5) == b""  # closed at once
        writer.close()
        assert await _round_trip(port) == b"PING"
        server.close()
        await server.wait_closed()

    asyncio.run(scenario())


class OutOfDescriptors:
    """A listening socket whose accept() fails as when the process has no file descriptor left."""

    def __init__(self, real: socket.socket) -> None:
        self.real, self.failures = real, 1

    def fileno(self) -> int:
        return self.real.fileno()

    def accept(self):
        if self.failures:
            self.failures -= 1
            raise OSError(errno.EMFILE, "Too many open files")
        return self.real.accept()


def test_running_out_of_descriptors_pauses_accepting_then_resumes(monkeypatch, caplog):
    monkeypatch.setattr(accept, "ACCEPT_RETRY_SECONDS", 0.05)

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        listener = socket.create_server(("127.0.0.1", 0))
        listener.setblocking(False)
        acceptor = PlainAcceptor(loop, OutOfDescriptors(listener), Echo)  # type: ignore[arg-type]
        acceptor.start()
        answer = await _round_trip(listener.getsockname()[1])  # waits out the pause
        assert answer == b"PING"
        loop.remove_reader(listener.fileno())
        listener.close()

    asyncio.run(scenario())
    assert "cannot accept connections for 0.05 s" in caplog.text


def test_connections_get_perch_tcp_transport_unless_asyncio_s_is_asked_for():
    """WebSocket listeners keep asyncio's transport (asyncio_transport=True); plain MQTT gets TcpTransport."""

    async def transport_type(asyncio_transport: bool) -> type:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(Echo, "127.0.0.1", 0, start_serving=False)
        await serve_plain(server, Echo, asyncio_transport=asyncio_transport)
        assert await _round_trip(server.sockets[0].getsockname()[1]) == b"PING"
        server.close()
        await server.wait_closed()
        return type(Echo.made[-1].transport)

    assert asyncio.run(transport_type(False)) is TcpTransport
    assert issubclass(asyncio.run(transport_type(True)), asyncio.Transport)
    assert asyncio.run(transport_type(True)) is not TcpTransport
