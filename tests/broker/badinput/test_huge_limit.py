"""Declared-huge packets when the broker's limit is MQTT's own maximum (256 MB).

With ``max_packet_size`` at 268435460 a 256 MB declaration is legal, so the broker cannot refuse on
the header: it must buffer only what actually arrives, never allocate what is merely declared.
Eight clients declare 256 MB and send 1 MB each; the broker's RSS may grow by those 8 MB plus
overhead, within a generous 20 MB bound.
"""

from __future__ import annotations

import contextlib
import socket
import time

from tests.broker.badinput import wire
from tests.broker.badinput.probe import handshake, read_until
from tests.broker.badinput.test_resources import RSS_BOUND_KB, rss_kb

BROKER_CONFIG = {"max_packet_size": 268_435_460}
SENT_PER_CLIENT = 1024 * 1024


def _declare_and_send(host: str, port: int, index: int) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=5)
    version = wire.V5 if index % 2 else wire.V311
    handshake(sock, f"declares-256mb-{index}", version)
    header = b"\x30\xff\xff\xff\x7f" + wire.utf8("big") + (b"\x00" if version == wire.V5 else b"")
    sock.sendall(header + b"p" * SENT_PER_CLIENT)
    return sock


def test_declared_256mb_within_limit_buffers_only_what_arrives(arena) -> None:
    host, port = arena.broker.host, arena.broker.port
    pid = arena.broker.process.pid
    before = rss_kb(pid)
    with contextlib.ExitStack() as stack:
        for index in range(8):
            stack.callback(_declare_and_send(host, port, index).close)
        time.sleep(0.5)  # let the broker read what was sent (not a timing assertion)
        during = rss_kb(pid)
        with socket.create_connection((host, port), timeout=5) as fresh:
            handshake(fresh, "beside-huge", wire.V5)
    assert during - before < RSS_BOUND_KB, f"RSS grew from {before} kB to {during} kB"
    with socket.create_connection((host, port), timeout=5) as probe:
        handshake(probe, "after-huge", wire.V5)
        probe.sendall(wire.PINGREQ)
        data, _closed = read_until(probe, lambda got: wire.PINGRESP in got, 3.0)
        assert wire.PINGRESP in data
    arena.bystander.stop()
    assert arena.bystander.problems() == ""
