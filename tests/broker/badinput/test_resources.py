"""Abuse measured in resources: declared-huge packets, many half-open sockets, RST mid-packet,
takeover storms. The bystander's QoS 1 stream must survive all of it."""

from __future__ import annotations

import contextlib
import socket
import struct
import time
from pathlib import Path

from tests.broker.badinput import wire
from tests.broker.badinput.probe import handshake, read_until

HUGE_HEADER = b"\x30\xff\xff\xff\x7f"  # PUBLISH, Remaining Length 268435455 (256 MB)
RSS_BOUND_KB = 20 * 1024


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc status")


def _declare_huge(host: str, port: int, index: int) -> None:
    """CONNECT (or not), declare a 256 MB packet, then push 2 MB after it; ignore the close."""
    with socket.create_connection((host, port), timeout=5) as sock:
        if index % 3:
            handshake(sock, f"huge-{index}", wire.V5 if index % 3 == 1 else wire.V311)
            header = HUGE_HEADER
        else:
            header = b"\x10\xff\xff\xff\x7f"  # a CONNECT declaring 256 MB
        with contextlib.suppress(OSError):
            sock.sendall(header + wire.utf8("t"))
            for _ in range(32):
                sock.sendall(b"\x00" * 65536)
        _data, closed = read_until(sock, lambda _got: False, 3.0)
        assert closed, "a 256 MB declaration did not get the connection closed"


def test_declared_256mb_does_not_grow_memory(arena) -> None:
    """[MQTT-3.2.2-15] / max_packet_size: the broker must refuse on the header, not allocate."""
    pid = arena.broker.process.pid
    before = rss_kb(pid)
    for index in range(24):
        _declare_huge(arena.broker.host, arena.broker.port, index)
    after = rss_kb(pid)
    assert after - before < RSS_BOUND_KB, f"RSS grew from {before} kB to {after} kB"


def test_many_half_open_sockets_are_dropped(arena) -> None:
    """Connections that never send CONNECT are closed after connect_timeout (1 s here)."""
    host, port = arena.broker.host, arena.broker.port
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.create_connection((host, port), timeout=5)) for _ in range(150)]
        with socket.create_connection((host, port), timeout=5) as fresh:
            handshake(fresh, "among-half-open", wire.V5)  # still served meanwhile
        deadline = time.monotonic() + 8
        still_open = []
        for sock in sockets:
            _data, closed = read_until(sock, lambda _got: False, max(0.1, deadline - time.monotonic()))
            if not closed:
                still_open.append(sock)
        assert not still_open, f"{len(still_open)} of {len(sockets)} half-open sockets were kept"


def test_reset_mid_packet_costs_nothing(arena) -> None:
    """Clients vanishing with RST halfway through a packet leave the broker serving."""
    host, port = arena.broker.host, arena.broker.port
    for index in range(30):
        sock = socket.create_connection((host, port), timeout=5)
        if index % 2:
            handshake(sock, f"reset-{index}", wire.V5)
            sock.sendall(wire.publish("r", b"x" * 100, qos=1)[:40])
        else:
            sock.sendall(wire.connect(f"reset-{index}")[:10])
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    with socket.create_connection((host, port), timeout=5) as fresh:
        handshake(fresh, "after-resets", wire.V5)
    assert arena.broker.process.poll() is None


def test_takeover_storm(arena) -> None:
    """[MQTT-3.1.4-3]: 25 connections with one client id; each is taken over by the next (0x8E)."""
    host, port = arena.broker.host, arena.broker.port
    with contextlib.ExitStack() as stack:
        previous = None
        for _ in range(25):
            sock = stack.enter_context(socket.create_connection((host, port), timeout=5))
            handshake(sock, "storm", wire.V5)
            if previous is not None:
                data, closed = read_until(previous, lambda _got: False, 3.0)
                assert closed and data[:1] == b"\xe0" and data[2] == 0x8E, data.hex()
            previous = sock
        previous.sendall(wire.PINGREQ)
        data, _closed = read_until(previous, lambda got: wire.PINGRESP in got, 3.0)
        assert wire.PINGRESP in data


def test_bystander_lost_nothing(arena) -> None:
    arena.bystander.stop()
    assert arena.bystander.sent > 0
    assert arena.bystander.problems() == ""
