"""One thread for the agents' MQTT traffic: paho's network loop and the spool sender together.

paho's ``loop_start()`` runs its own network thread, so a separate sender thread handing readings to
it paid for two threads per message: each ``publish()`` wrote a byte to paho's wake-up socket pair
and the network thread woke (and took the GIL) for it. :class:`NetworkLoop` drives paho through its
external-loop API (``loop_read``/``loop_write``/``loop_misc`` and ``on_socket_register_write``) from
a single thread that also runs the caller's ``work`` (handing spooled readings to paho), so a batch of
readings costs one wake-up and one round of writes. That round is corked (TCP_CORK): paho sends
each packet with its own ``send()``, and on a loopback every segment costs the sender and the broker
a wake-up's worth of kernel work, so the packets of a round leave as one segment. Reconnects back
off like paho's own loop (the minimum delay, doubled per failure up to the maximum, reset once the
broker accepted the connection).
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import socket
import threading
from collections.abc import Callable

import paho.mqtt.client as mqtt

log = logging.getLogger(__name__)

MISC_INTERVAL = 1.0  # seconds between keepalive checks when nothing happens (paho's own loop timeout)
TCP_CORK = getattr(socket, "TCP_CORK", None)  # Linux


def cork(sock: object, on: bool) -> None:
    """Hold back (or release) partial TCP segments; a no-op where the socket or system has no cork."""
    if TCP_CORK is None:
        return
    with contextlib.suppress(OSError, AttributeError, ValueError):  # closed, or not a TCP socket
        sock.setsockopt(socket.IPPROTO_TCP, TCP_CORK, int(on))  # type: ignore[attr-defined]


class Waker:
    """A flag that a ``select()`` can wait on: :meth:`set` from any thread wakes the loop once.

    A byte is in the pipe exactly while the flag is set (both change under one lock), so repeated
    sets between two wake-ups cost no system call and no wake-up is ever lost.
    """

    def __init__(self) -> None:
        self._read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._read_fd, False)
        os.set_blocking(self._write_fd, False)
        self._lock = threading.Lock()
        self._set = False

    def fileno(self) -> int:
        return self._read_fd

    def set(self) -> None:
        with self._lock:
            if self._set:
                return
            self._set = True
            os.write(self._write_fd, b"!")

    def clear(self) -> None:
        with self._lock:
            if self._set:
                self._set = False
                with contextlib.suppress(BlockingIOError):
                    os.read(self._read_fd, 64)

    def is_set(self) -> bool:
        return self._set

    def close(self) -> None:
        os.close(self._read_fd)
        os.close(self._write_fd)


class NetworkLoop:
    """Runs ``client`` (``connect_async`` already called) in one thread until :meth:`stop`.

    ``work`` runs in that thread after every wake-up and may call ``client.publish``; it returns
    None, or the seconds it wants to gather more before it sends: until then the loop still reads
    and writes but ignores the waker (wake-ups from other threads wait at most that long). Other
    threads may publish, subscribe and unsubscribe at any time (paho queues the packet and asks,
    through ``on_socket_register_write``, for the loop to write it).
    """

    def __init__(
        self,
        client: mqtt.Client,
        work: Callable[[], float | None],
        delays: tuple[float, float],
        name: str,
    ) -> None:
        self.client = client
        self.work = work
        self.min_delay, self.max_delay = delays
        self.waker = Waker()
        self._stopping = threading.Event()
        self._disconnect_queued = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        client.on_socket_register_write = self._wake_to_write

    def _wake_to_write(self, client: mqtt.Client, userdata: object, sock: object) -> None:
        """paho queued a packet: wake the loop, unless this is the loop's own thread, which checks
        ``want_write()`` before it waits again."""
        if threading.get_ident() != self._thread.ident:
            self.waker.set()

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Send DISCONNECT if connected, then end the thread (waiting at most ``timeout`` seconds)."""
        self._stopping.set()
        self.client.disconnect()
        self._disconnect_queued.set()
        self.waker.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if not self._thread.is_alive():
            self.waker.close()

    def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            if self.client.socket() is None and not self._reconnect():
                failures += 1
                self._stopping.wait(self._delay(failures))
                continue
            if self._serve_guarded():
                failures = 0
            if not self._stopping.is_set():  # the connection was lost: wait as paho would
                failures += 1
                self._stopping.wait(self._delay(failures))
        self._serve()  # until stop()'s DISCONNECT is written
        if self.client.socket() is not None:  # stop() came while connecting: the DISCONNECT missed it
            self.client.disconnect()
            self._serve()

    def _delay(self, failures: int) -> float:
        return min(self.min_delay * 2 ** (failures - 1), self.max_delay)

    def _reconnect(self) -> bool:
        try:
            self.client.reconnect()
        except OSError as error:
            log.debug("connecting to the broker failed: %s", error)
            return False
        return True

    def _serve_guarded(self) -> bool:
        """:meth:`_serve`, but a bug in a callback or in ``work`` is logged and the loop goes on."""
        try:
            return self._serve()
        except Exception:
            log.exception("MQTT loop failed; carrying on after a pause")
            return False

    def _serve(self) -> bool:
        """Read, write and run ``work`` while the socket is open; True if the broker accepted us."""
        client, accepted, hold = self.client, False, None
        while (sock := client.socket()) is not None:
            if self._disconnect_queued.is_set() and not client.want_write():
                break
            pending = getattr(sock, "pending", None)  # TLS: bytes already decrypted wait no select
            timeout = 0.0 if pending is not None and pending() else min(hold or MISC_INTERVAL, MISC_INTERVAL)
            readers = [sock] if hold else [sock, self.waker]
            writers = [sock] if client.want_write() else []
            try:
                readable, writable, _ = select.select(readers, writers, [], timeout)
            except (OSError, ValueError):  # closed under us: paho notices on the next call
                readable, writable = [sock], []
            if hold or self.waker in readable:
                self.waker.clear()  # while holding: what woke it is sent with the rest
            if (sock in readable or timeout == 0.0) and client.loop_read() != mqtt.MQTT_ERR_SUCCESS:
                continue
            accepted = accepted or client.is_connected()
            hold = self.work()
            if sock in writable or client.want_write():
                cork(sock, True)
                try:
                    client.loop_write()
                finally:
                    cork(sock, False)
            client.loop_misc()
        return accepted
