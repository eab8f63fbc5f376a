"""The running broker: listeners, timers and ``$SYS``, on one asyncio event loop.

``serve(config)`` runs until cancelled or signalled (the CLI); ``start_in_thread(config)`` runs a
broker on its own loop in a daemon thread and returns once it listens (``perch demo``, tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import signal
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from broker.config import BrokerConfig
from broker.core.broker import Broker
from broker.server.accept import serve_plain
from broker.server.bridges import BridgeSetupError, ServerBridges
from broker.server.drops import DropReporter
from broker.server.durability import Durability, PersistenceUnavailable, open_durability
from broker.server.security import ServerSecurity
from broker.server.sys_topics import SysPublisher
from broker.server.transports import MqttTransport, PendingFlushes

log = logging.getLogger("perch.broker")
TICK_SECONDS = 0.5


class ListenError(OSError):
    """A listener could not be opened (port in use, bad address)."""


@dataclass
class BrokerServer:
    config: BrokerConfig
    clock: Callable[[], float] = time.monotonic
    ports: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.broker = Broker(self.config.queue_limits(), self.config.max_retained_messages)
        self.security = ServerSecurity(self.config)  # per-listener gatekeepers, TLS; reload() on SIGHUP
        self.limits = self.config.protocol_limits()
        self.transports: set[MqttTransport] = set()
        self.flushes = PendingFlushes()  # output other connections' reads caused (server/transports.py)
        self.listening: list[tuple[str, str, int]] = []
        self._servers: list[asyncio.base_events.Server] = []
        self._sys = SysPublisher(self.broker, self.clock())
        self._next_sys = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._drops = DropReporter()
        self.durability: Durability | None = None  # with broker.persistence: the store (server/durability.py)
        self.bridges = ServerBridges(self.config, self.broker)

    async def start(self) -> None:
        """Open every listener; raises ListenError naming the one that failed."""
        loop = asyncio.get_running_loop()
        try:
            self.durability = open_durability(self.config.persistence, self.broker, self.clock)
        except PersistenceUnavailable as error:
            raise ListenError(str(error)) from error
        contexts = self.security.contexts()
        for index, listener in enumerate(self.config.listeners):
            factory = MqttTransport
            if listener.websockets:
                from broker.server.websocket import WebSocketTransport  # loads websockets: only if needed

                factory = WebSocketTransport
            try:
                make_transport = functools.partial(factory, self, index)
                server = await loop.create_server(
                    make_transport,
                    listener.bind,
                    listener.port,
                    ssl=contexts[index],
                    reuse_address=True,
                    start_serving=False,
                )
                is_tls = contexts[index] is not None
                await serve_plain(server, make_transport, is_tls, asyncio_transport=listener.websockets)
            except (OSError, ssl.SSLError) as error:
                await self.stop()
                raise ListenError(f"cannot listen on {listener.bind}:{listener.port}: {error}") from error
            self._servers.append(server)
            port = server.sockets[0].getsockname()[1]
            scheme = listener.scheme
            self.ports.setdefault(scheme, port)
            self.listening.append((scheme, listener.bind, port))
        try:
            await self.bridges.start(self.listening)
        except BridgeSetupError as error:
            await self.stop()
            raise ListenError(str(error)) from error
        self._tick()

    def _tick(self) -> None:
        """Timers: keepalive and CONNECT timeouts, delayed wills, session expiry, ``$SYS``."""
        now = self.clock()
        self.broker.tick(now)
        self._drops.check(self.broker.sessions, now)
        self.bridges.publish_states(now)
        if self.durability is not None:
            self.durability.tick()
        for transport in list(self.transports):
            if transport.connection is not None:
                transport.connection.check_timers(now)
                if transport.connection.is_closing:
                    transport.flush()
        interval = self.config.sys_interval
        if interval and now >= self._next_sys:
            self._sys.publish(now)
            self._next_sys = now + interval
        self._timer = asyncio.get_running_loop().call_later(TICK_SECONDS, self._tick)

    async def stop(self) -> None:
        await self.bridges.stop()  # while the listeners still run: the bridges drain to them
        if self._timer is not None:
            self._timer.cancel()
        for server in self._servers:
            server.close()
        for transport in list(self.transports):
            if transport.transport is not None:
                transport.transport.abort()
        for server in self._servers:
            with contextlib.suppress(Exception):
                await server.wait_closed()
        self._servers.clear()
        if self.durability is not None:
            await asyncio.sleep(0)  # let connection_lost detach the sessions first
            self.durability.close()
            self.durability = None


def install_uvloop() -> bool:
    """Use uvloop only when asked (``PERCH_UVLOOP=1``) and installed; never a dependency.

    Opt-in because a benchmark saw a fan-in subscriber stall and lose QoS 0 messages under uvloop
    (not under asyncio); see docs/performance.md. Lower latency is not worth an unexplained loss.
    """
    if os.environ.get("PERCH_UVLOOP") != "1":
        return False
    try:
        import uvloop  # type: ignore[import-not-found]
    except ImportError:
        return False
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return True


async def serve(config: BrokerConfig, on_listening: Callable[[BrokerServer], None] | None = None) -> None:
    """Run a broker until cancelled or SIGINT/SIGTERM."""
    server = BrokerServer(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):  # before listening: no window without them
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal_number, stop.set)
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGHUP, server.security.reload)
    await server.start()
    if on_listening is not None:
        on_listening(server)
    try:
        await stop.wait()
    finally:
        await server.stop()


@dataclass
class RunningBroker:
    """A broker running on its own event loop in a daemon thread."""

    ports: dict[str, int]
    server: BrokerServer
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread

    def stop(self, timeout: float = 10.0) -> None:
        if not self.thread.is_alive():
            return
        future = asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop)
        with contextlib.suppress(Exception):
            future.result(timeout)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout)


def start_in_thread(config: BrokerConfig, timeout: float = 10.0) -> RunningBroker:
    """Start a broker in a daemon thread; returns once it listens (raises ListenError if it cannot)."""
    loop = asyncio.new_event_loop()
    server = BrokerServer(config)
    started = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.start())
        except BaseException as error:  # reported to the caller below
            failure.append(error)
            started.set()
            loop.close()
            return
        started.set()
        loop.run_forever()
        loop.close()

    thread = threading.Thread(target=run, name="perch-broker", daemon=True)
    thread.start()
    if not started.wait(timeout):
        raise ListenError("the broker did not start in time")
    if failure:
        raise failure[0]
    return RunningBroker(dict(server.ports), server, loop, thread)
