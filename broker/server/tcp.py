"""A small transport for plain TCP connections on asyncio's selector event loop.

asyncio's ``_SelectorSocketTransport`` costs a connection two extra turns of the loop before the
protocol hears of it (``connection_made`` and the reader are scheduled with ``call_soon``), a
``getsockname`` system call, an ``extra`` dict with a socket wrapper, a weak reference in the
loop's table of transports and an instance dict. :class:`TcpTransport` does what a broker needs
and nothing else: ``connection_made`` is called, the reader registered and a first read tried as
soon as the socket is accepted, reads go straight to ``data_received``, ``write`` sends at once and
buffers only what the kernel did not take (``add_writer`` only then), ``close`` releases the socket
at once when nothing is buffered (after the buffer drains otherwise).

What the protocol sees is asyncio's contract: ``connection_lost`` is called once, never while the
protocol is on the stack (when the protocol call that closed the transport returns, else from the
loop with ``call_soon``); ``pause_writing`` / ``resume_writing`` at the write buffer's high and low
marks; ``eof_received`` when the peer half-closes (closing unless it returns true); the peer
address from ``accept()`` as ``peername``. TLS and WebSocket listeners keep asyncio's own
transports (broker/server/accept.py chooses).
"""

from __future__ import annotations

import asyncio
import contextlib
import mmap
import selectors
import socket
from collections.abc import Callable

READ_SIZE = 256 * 1024  # asyncio's max_size for one recv()
DEFAULT_HIGH_WATER = 64 * 1024  # asyncio's defaults, until set_write_buffer_limits() is called
DEFAULT_LOW_WATER = DEFAULT_HIGH_WATER // 4
LOOP_METHODS = ("_add_reader", "_remove_reader", "_add_writer", "_remove_writer", "_selector")


def supports(loop: asyncio.AbstractEventLoop) -> bool:
    """True for asyncio's selector event loops, the only ones this transport knows how to drive."""
    return all(hasattr(loop, name) for name in LOOP_METHODS)


def new_read_buffer() -> memoryview:
    """A buffer for the transports of ONE event loop to read into.

    ``sock.recv(256 KiB)`` asks malloc for 256 KiB per read: above glibc's mmap threshold that is an
    mmap, an mremap to shrink it and an munmap per read (measured with strace: 3 system calls and
    fresh zeroed pages per read). Reading into one reused buffer and copying out only what arrived
    costs a memcpy of the bytes read. Shared only within one loop (one thread): the bytes are
    copied out before anything else can run. Anonymous memory, so only the pages a read has
    reached count in the broker's RSS (a bytearray would zero, and keep, all 256 KiB at start).
    """
    return memoryview(mmap.mmap(-1, READ_SIZE))


def _set_nodelay(sock: socket.socket) -> None:
    """Small writes go out at once (asyncio sets TCP_NODELAY on every TCP transport too).

    Tried rather than checked: ``sock.family`` converts to an enum on every access.
    """
    with contextlib.suppress(OSError):  # not TCP (a Unix socket): nothing to set
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class TcpTransport(asyncio.Transport):
    """One accepted, non-blocking TCP socket driven by the loop's reader and writer callbacks."""

    __slots__ = (
        "_buffer",
        "_closing",
        "_fd",
        "_high_water",
        "_in_protocol",
        "_loop",
        "_lost",
        "_lost_error",
        "_lost_pending",
        "_low_water",
        "_peer",
        "_protocol",
        "_read_buffer",
        "_reading",
        "_sock",
        "_writing_paused",
    )

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        sock: socket.socket,
        protocol: asyncio.Protocol,
        peer: object,
        read_buffer: memoryview,
    ) -> None:
        self._loop = loop
        self._sock = sock
        self._fd = sock.fileno()
        self._protocol = protocol
        self._peer = peer
        self._read_buffer = read_buffer  # new_read_buffer(), shared with this loop's other transports
        self._buffer: bytearray | None = None  # only while the kernel's send buffer is full
        self._closing = False
        self._lost = False  # the socket is released: nothing more is read or written
        self._in_protocol = False  # inside data_received / eof_received / resume_writing
        self._lost_pending = False  # released inside one of those: connection_lost when it returns
        self._lost_error: Exception | None = None
        self._reading = False
        self._writing_paused = False
        self._high_water = DEFAULT_HIGH_WATER
        self._low_water = DEFAULT_LOW_WATER

    def start(self) -> None:
        """Tell the protocol, then start reading (unless it closed or paused us meanwhile).

        Reads once straight away: an MQTT client speaks first and its CONNECT has usually arrived
        by the time ``accept()`` returned, so it is handled now instead of one loop turn (an epoll
        wake-up) later. Measured, 3000 sequential connects: broker CPU (user + system) 267 -> 190 us
        per connection. When nothing is there yet it costs one recv() that finds the socket empty.
        """
        _set_nodelay(self._sock)
        self._reading = True
        self._protocol.connection_made(self)
        if self._reading and not self._closing:
            self._watch_reads()
            self._read_ready()

    def _watch_reads(self) -> None:
        """``loop._add_reader`` for a descriptor nobody watches yet, without its KeyError round trip
        (get_key raises and formats an error for every new descriptor)."""
        loop = self._loop
        handle = asyncio.Handle(self._read_ready, (), loop, None)
        try:
            loop._selector.register(self._fd, selectors.EVENT_READ, (handle, None))  # type: ignore[attr-defined]
        except KeyError:  # already registered (a stale entry or a writer): the loop's own way
            loop._add_reader(self._fd, self._read_ready)  # type: ignore[attr-defined]

    # ---- reading ------------------------------------------------------------------------------

    def _read_ready(self) -> None:
        if self._lost:
            return
        buffer = self._read_buffer
        try:
            size = self._sock.recv_into(buffer)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as error:  # ECONNRESET and friends: the connection is gone
            self._force_close(error)
            return
        if size:
            self._in_protocol_call("data_received", self._protocol.data_received, bytes(buffer[:size]))
        else:
            self._in_protocol_call("eof_received", self._eof_received)

    def _in_protocol_call(self, method: str, call: Callable[..., object], *args: object) -> None:
        """Run ``call`` (the protocol's, or code that calls it) with ``connection_lost`` held until it
        returns; an exception from it closes the connection, as asyncio's transport does."""
        self._in_protocol = True
        try:
            call(*args)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as error:
            self._fatal_error(error, f"Fatal error: protocol.{method}() call failed.")
        finally:
            self._left_protocol()

    def _left_protocol(self) -> None:
        """Back from a protocol call: if it closed the transport, tell it now (it is off the stack)."""
        self._in_protocol = False
        if self._lost_pending:
            self._lost_pending = False
            self._call_connection_lost(self._lost_error)

    def _eof_received(self) -> None:
        """The peer half-closed: close (after writing what is buffered) unless the protocol keeps it."""
        if self._protocol.eof_received():
            self.pause_reading()
        else:
            self.close()

    def is_reading(self) -> bool:
        return self._reading and not self._closing

    def pause_reading(self) -> None:
        if self.is_reading():
            self._reading = False
            self._loop._remove_reader(self._fd)  # type: ignore[attr-defined]

    def resume_reading(self) -> None:
        if not self._closing and not self._reading:
            self._reading = True
            self._loop._add_reader(self._fd, self._read_ready)  # type: ignore[attr-defined]

    # ---- writing ------------------------------------------------------------------------------

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data or self._lost:
            return
        if self._buffer:
            self._buffer += data
        else:
            try:
                sent = self._sock.send(data)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError as error:  # EPIPE, ECONNRESET: the peer is gone
                self._force_close(error)
                return
            if sent == len(data):
                return
            self._buffer = bytearray(memoryview(data)[sent:])
            self._loop._add_writer(self._fd, self._write_ready)  # type: ignore[attr-defined]
        if not self._writing_paused and len(self._buffer) > self._high_water:
            self._writing_paused = True
            self._call_protocol("pause_writing")

    def _write_ready(self) -> None:
        buffer = self._buffer
        if self._lost or not buffer:
            return
        try:
            sent = self._sock.send(buffer)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as error:
            self._force_close(error)
            return
        del buffer[:sent]
        if self._writing_paused and len(buffer) <= self._low_water:
            self._writing_paused = False
            self._in_protocol = True
            try:
                self._call_protocol("resume_writing")  # may write more, or close
            finally:
                self._left_protocol()
        if self._buffer or self._lost:
            return
        self._buffer = None
        self._loop._remove_writer(self._fd)  # type: ignore[attr-defined]
        if self._closing:
            self._release(None)

    def _call_protocol(self, method: str) -> None:
        try:
            getattr(self._protocol, method)()
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as error:
            self._loop.call_exception_handler(
                {
                    "message": f"protocol.{method}() failed",
                    "exception": error,
                    "transport": self,
                    "protocol": self._protocol,
                }
            )

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        high = DEFAULT_HIGH_WATER if high is None else high
        low = high // 4 if low is None else low
        if not high >= low >= 0:
            raise ValueError(f"high ({high!r}) must be >= low ({low!r}) must be >= 0")
        self._high_water, self._low_water = high, low

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._low_water, self._high_water

    def get_write_buffer_size(self) -> int:
        return len(self._buffer) if self._buffer else 0

    def can_write_eof(self) -> bool:
        return False

    # ---- closing ------------------------------------------------------------------------------

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        """Stop reading; release the socket now, or once the buffered bytes are written."""
        if self._closing:
            return
        self._closing = True
        if self._reading:
            self._loop._remove_reader(self._fd)  # type: ignore[attr-defined]
        if not self._buffer:
            self._release(None)

    def abort(self) -> None:
        """Close at once, dropping anything still buffered."""
        self._force_close(None)

    def _force_close(self, error: Exception | None) -> None:
        if self._lost:
            return
        if not self._closing:
            self._closing = True
            if self._reading:
                self._loop._remove_reader(self._fd)  # type: ignore[attr-defined]
        self._release(error)

    def _release(self, error: Exception | None) -> None:
        """Free the socket now. The protocol hears of it once it is off the stack: when the protocol
        call we are in returns, else on the loop's next turn (as from asyncio's transport)."""
        self._lost = True
        if self._buffer is not None:
            self._buffer = None
            self._loop._remove_writer(self._fd)  # type: ignore[attr-defined]
        self._sock.close()
        if self._in_protocol:
            self._lost_pending, self._lost_error = True, error
        else:
            self._loop.call_soon(self._call_connection_lost, error)

    def _call_connection_lost(self, error: Exception | None) -> None:
        protocol, self._protocol = self._protocol, None  # no cycle left for the garbage collector
        protocol.connection_lost(error)

    def _fatal_error(self, error: BaseException, message: str) -> None:
        if not isinstance(error, OSError):
            self._loop.call_exception_handler(
                {"message": message, "exception": error, "transport": self, "protocol": self._protocol}
            )
        self._force_close(error if isinstance(error, Exception) else None)

    # ---- asyncio.BaseTransport ----------------------------------------------------------------

    def get_extra_info(self, name: str, default: object = None) -> object:
        """``peername``, ``sockname`` and ``socket``; nothing TLS (this transport is plain TCP)."""
        if name == "peername":
            return self._peer
        if name == "socket":
            return self._sock
        if name == "sockname":
            try:
                return self._sock.getsockname()
            except OSError:
                return default
        return default

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._protocol

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._protocol = protocol  # type: ignore[assignment]

    def __repr__(self) -> str:
        state = "closed" if self._lost else "closing" if self._closing else "open"
        return f"<TcpTransport fd={self._fd} {state} peer={self._peer!r}>"
