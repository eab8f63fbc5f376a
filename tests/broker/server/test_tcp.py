"""TcpTransport: asyncio's transport contract on plain TCP, including the error and back-pressure paths."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Awaitable, Callable

import pytest

from broker.server.accept import PlainAcceptor, serve_plain
from broker.server.tcp import TcpTransport, new_read_buffer, supports

BIG = 8 * 1024 * 1024  # more than loopback's socket buffers hold: some of it must wait in the transport


class Recorder(asyncio.Protocol):
    """Records what the transport tells it; echoes upper-cased data unless told otherwise."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.received = bytearray()
        self.transport: TcpTransport | None = None
        self.lost: asyncio.Future[Exception | None] = asyncio.get_running_loop().create_future()
        self.echo = True

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.events.append("made")

    def data_received(self, data: bytes) -> None:
        assert type(data) is bytes  # the decoder's fast path relies on bytes, not a bytearray/view
        self.received += data
        if self.echo:
            self.transport.write(data.upper())

    def eof_received(self) -> None:
        self.events.append("eof")

    def pause_writing(self) -> None:
        self.events.append("pause_writing")

    def resume_writing(self) -> None:
        self.events.append("resume_writing")

    def connection_lost(self, exc: Exception | None) -> None:
        self.events.append("lost")
        self.lost.set_result(exc)


Scenario = Callable[[int, list[Recorder]], Awaitable[None]]


def run_with_server(scenario: Scenario, make: Callable[[], Recorder] = Recorder) -> list[Recorder]:
    """Serve on 127.0.0.1 port 0 with serve_plain, run the scenario, close everything."""
    made: list[Recorder] = []

    def factory() -> Recorder:
        made.append(make())
        return made[-1]

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(factory, "127.0.0.1", 0, start_serving=False)
        assert await serve_plain(server, factory) is True
        try:
            await asyncio.wait_for(scenario(server.sockets[0].getsockname()[1], made), 20)
        finally:
            server.close()
            await server.wait_closed()
            for protocol in made:
                if protocol.transport is not None:
                    protocol.transport.abort()
            await asyncio.sleep(0)

    asyncio.run(main())
    return made


async def served_client(port: int, made: list[Recorder], first: bytes = b"x") -> tuple:
    """A client whose first bytes came back echoed: the server side is set up and reading
    (``made[0]``). Returns the client's reader and writer and the server side's transport."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(first)
    await reader.readexactly(len(first))
    return reader, writer, made[0].transport


async def _read_until_eof(reader: asyncio.StreamReader, limit: int) -> bytes:
    data = bytearray()
    while len(data) <= limit:
        chunk = await reader.read(1 << 20)
        if not chunk:
            return bytes(data)
        data += chunk
    raise AssertionError("more data than was written")


async def _raw_client(port: int) -> socket.socket:
    """A plain non-blocking socket (so the test can make it send a reset) that had one echo."""
    loop = asyncio.get_running_loop()
    client = socket.socket()
    client.setblocking(False)
    await loop.sock_connect(client, ("127.0.0.1", port))
    await loop.sock_sendall(client, b"x")
    assert await loop.sock_recv(client, 1) == b"X"
    return client


def test_a_connection_is_made_read_and_written_with_its_peer_address():
    async def scenario(port: int, made: list[Recorder]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"ping")
        assert await reader.readexactly(4) == b"PING"
        transport = made[0].transport
        assert isinstance(transport, TcpTransport)
        assert transport.get_extra_info("peername") == writer.get_extra_info("sockname")
        assert transport.get_extra_info("sockname") == ("127.0.0.1", port)
        sock = transport.get_extra_info("socket")
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)  # as asyncio sets it
        assert transport.get_extra_info("ssl_object") is None
        writer.close()
        assert await made[0].lost is None

    made = run_with_server(scenario)
    assert made[0].events == ["made", "eof", "lost"]


def test_a_half_closed_peer_gets_what_was_buffered_before_the_close():
    """recv() returning b"" is eof_received; the default (falsy) closes after writing the buffer."""

    async def scenario(port: int, made: list[Recorder]) -> None:
        reader, writer, _ = await served_client(port, made)
        made[0].transport.write(b"y" * BIG)  # the kernel takes part; the rest waits in the transport
        assert made[0].transport.get_write_buffer_size() > 0
        writer.write_eof()
        data = await _read_until_eof(reader, BIG)
        assert data == b"y" * BIG
        assert await made[0].lost is None
        writer.close()

    made = run_with_server(scenario)
    assert made[0].events[0] == "made" and made[0].events[-1] == "lost"
    assert made[0].events.count("lost") == 1 and "eof" in made[0].events


def test_close_writes_what_is_buffered_first_and_the_protocol_hears_of_it_from_the_loop():
    async def scenario(port: int, made: list[Recorder]) -> None:
        reader, writer, transport = await served_client(port, made)
        transport.write(b"z" * BIG)
        transport.close()
        assert transport.is_closing()
        assert "lost" not in made[0].events  # never from inside close()
        transport.write(b"after close")  # appended: asyncio's transport also writes it
        assert await _read_until_eof(reader, BIG + 11) == b"z" * BIG + b"after close"
        assert await made[0].lost is None
        writer.close()

    run_with_server(scenario)


def test_writes_once_the_socket_is_released_are_dropped():
    async def scenario(port: int, made: list[Recorder]) -> None:
        reader, writer, _ = await served_client(port, made)
        made[0].transport.close()
        assert "lost" not in made[0].events  # never from inside close(): from the loop's next turn
        made[0].transport.write(b"dropped")
        assert await reader.read(64) == b""
        writer.close()

    run_with_server(scenario)


def test_abort_drops_the_buffer_and_closes_at_once():
    async def scenario(port: int, made: list[Recorder]) -> None:
        reader, writer, transport = await served_client(port, made)
        transport.write(b"a" * BIG)
        transport.abort()
        assert transport.get_write_buffer_size() == 0
        data = await _read_until_eof(reader, BIG)
        assert 0 < len(data) < BIG + 1  # what the kernel had taken, then the end
        assert await made[0].lost is None
        writer.close()

    run_with_server(scenario)


def test_a_reset_by_the_peer_reports_the_error_once():
    async def scenario(port: int, made: list[Recorder]) -> None:
        client = await _raw_client(port)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()  # RST instead of FIN
        error = await made[0].lost
        assert isinstance(error, ConnectionResetError)

    made = run_with_server(scenario)
    assert made[0].events == ["made", "lost"]


def test_writing_to_a_peer_that_reset_reports_the_error_once():
    """EPIPE / ECONNRESET on send: connection_lost with the error, later writes dropped."""

    async def scenario(port: int, made: list[Recorder]) -> None:
        client = await _raw_client(port)
        transport = made[0].transport
        transport.pause_reading()  # only the write can find out
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()
        for _ in range(100):  # the first write after an RST fails; bounded
            transport.write(b"w" * 1024)
            if made[0].lost.done() or transport.is_closing():
                break
            await asyncio.sleep(0.01)
        error = await made[0].lost
        assert isinstance(error, (BrokenPipeError, ConnectionResetError))

    made = run_with_server(scenario)
    assert made[0].events.count("lost") == 1


def test_a_full_buffer_pauses_the_protocol_and_a_drained_one_resumes_it():
    """The congestion contract MqttTransport relies on (pause_writing past high, resume at low)."""

    async def scenario(port: int, made: list[Recorder]) -> None:
        reader, writer, transport = await served_client(port, made)
        transport.set_write_buffer_limits(high=64 * 1024, low=16 * 1024)
        assert transport.get_write_buffer_limits() == (16 * 1024, 64 * 1024)
        transport.write(b"b" * BIG)
        assert made[0].events[-1] == "pause_writing"
        assert transport.get_write_buffer_size() > 64 * 1024
        assert await reader.readexactly(BIG) == b"b" * BIG
        for _ in range(100):  # bounded: the writer callback runs on the loop
            if made[0].events[-1] == "resume_writing":
                break
            await asyncio.sleep(0.01)
        assert made[0].events[-2:] == ["pause_writing", "resume_writing"]
        assert transport.get_write_buffer_size() == 0
        writer.close()

    run_with_server(scenario)


def test_paused_reading_delivers_nothing_until_resumed():
    async def scenario(port: int, made: list[Recorder]) -> None:
        reader, writer, transport = await served_client(port, made, b"a")
        transport.pause_reading()
        assert not transport.is_reading()
        writer.write(b"b")
        await writer.drain()
        await asyncio.sleep(0.05)  # gives a paused reader the chance to misbehave
        assert made[0].received == b"a"
        transport.resume_reading()
        assert await reader.readexactly(1) == b"B"
        writer.close()

    run_with_server(scenario)


def test_a_protocol_error_costs_that_connection_and_is_reported_to_the_loop():
    reported: list[dict] = []

    class Broken(Recorder):
        def data_received(self, data: bytes) -> None:
            raise RuntimeError("bug")

    async def scenario(port: int, made: list[Recorder]) -> None:
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: reported.append(context))
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"x")
        assert await reader.read(64) == b""
        error = await made[0].lost
        assert isinstance(error, RuntimeError)
        writer.close()

    run_with_server(scenario, Broken)
    assert "data_received" in reported[0]["message"]


def test_a_protocol_that_refuses_in_connection_made_is_never_read(caplog):
    """As MqttTransport past max_connections + grace: abort() inside connection_made."""

    class Refusing(Recorder):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            transport.abort()

        def data_received(self, data: bytes) -> None:
            raise AssertionError("read after abort")

    async def scenario(port: int, made: list[Recorder]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"x")
        assert await reader.read(64) == b""
        assert await made[0].lost is None
        writer.close()

    made = run_with_server(scenario, Refusing)
    assert made[0].events == ["made", "lost"]
    assert not caplog.records  # no reader registered for the closed socket, nothing failed


def test_write_buffer_limits_are_checked():
    transport = TcpTransport.__new__(TcpTransport)
    with pytest.raises(ValueError):
        transport.set_write_buffer_limits(high=10, low=20)


def test_transports_keep_no_instance_dict():
    """Idle connection memory (issue 7): slots only."""
    assert "__dict__" not in dir(TcpTransport)


class Closer(Recorder):
    """Closes from inside data_received, as MqttTransport does after a DISCONNECT."""

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self.transport.close()
        assert "lost" not in self.events  # never while the protocol is still on the stack


def _accept_directly(protocol_class: type[Recorder], data: bytes) -> tuple[Recorder, socket.socket]:
    """The client connects and sends BEFORE the loop hears of it; then one accept_ready() call."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    made: list[Recorder] = []

    def factory() -> Recorder:
        made.append(protocol_class())
        return made[-1]

    acceptor = PlainAcceptor(asyncio.get_running_loop(), listener, factory)
    client = socket.create_connection(listener.getsockname(), timeout=5)
    if data:
        client.sendall(data)  # on loopback, in the server's receive buffer when sendall returns
    acceptor.accept_ready()
    listener.close()
    return made[0], client


def test_a_client_that_spoke_first_is_read_at_accept_and_told_of_the_close_on_return():
    async def scenario() -> None:
        protocol, client = _accept_directly(Closer, b"connect")
        assert protocol.received == b"connect"  # no loop turn between accept and the first read
        assert protocol.events == ["made", "lost"]  # connection_lost once data_received returned
        assert client.recv(64) == b"CONNECT"
        assert client.recv(64) == b""
        client.close()

    asyncio.run(scenario())


def test_a_silent_client_is_read_when_it_speaks():
    async def scenario() -> None:
        protocol, client = _accept_directly(Closer, b"")
        assert protocol.events == ["made"] and not protocol.received
        client.sendall(b"late")
        await asyncio.wait_for(protocol.lost, 5)
        assert protocol.received == b"late"
        client.close()

    asyncio.run(scenario())


def test_a_descriptor_the_loop_already_watches_still_gets_its_reader():
    """The fast registration falls back to the loop's own when the selector knows the descriptor."""

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        ours, peer = socket.socketpair()
        ours.setblocking(False)
        loop.add_writer(ours.fileno(), lambda: None)  # e.g. a stale entry left for this number
        protocol = Recorder()
        protocol.echo = False
        TcpTransport(loop, ours, protocol, "peer", new_read_buffer()).start()
        loop.remove_writer(ours.fileno())
        peer.sendall(b"hello")
        for _ in range(100):  # bounded: the reader runs on the loop
            if protocol.received:
                break
            await asyncio.sleep(0.01)
        assert protocol.received == b"hello"
        protocol.transport.close()
        peer.close()

    asyncio.run(scenario())


def test_a_write_the_kernel_refuses_entirely_waits_in_the_buffer():
    """EAGAIN on the first send (the kernel's buffer is already full): buffered, sent when writable."""

    async def scenario(port: int, made: list[Recorder]) -> None:
        reader, writer, transport = await served_client(port, made)
        sock = transport.get_extra_info("socket")
        filled = 0
        for _ in range(10_000):  # bounded: loopback buffers hold a few MB
            try:
                filled += sock.send(b"f" * 65536)
            except BlockingIOError:
                break
        else:
            raise AssertionError("the send buffer never filled")
        transport.write(b"tail")
        assert transport.get_write_buffer_size() == 4
        assert await reader.readexactly(filled + 4) == b"f" * filled + b"tail"
        writer.close()

    run_with_server(scenario)


def test_only_selector_event_loops_are_driven_by_it():
    """Other loops (uvloop with PERCH_UVLOOP=1) lack the selector internals: accept.py falls back."""

    class OtherLoop(asyncio.AbstractEventLoop):
        pass

    loop = asyncio.new_event_loop()
    try:
        assert supports(loop)
    finally:
        loop.close()
    assert not supports(OtherLoop())
