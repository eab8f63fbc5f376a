"""A connection flood beyond max_connections is refused politely while existing clients keep working.

The broker runs with max_connections 10; the bystander holds two of them. Issue 4 item 5, and
MQTT 5 3.2.2.2 (CONNACK 0x89 Server busy) / MQTT 3.1.1 3.2.2.3 (return code 3 Server unavailable).
"""

from __future__ import annotations

import contextlib
import socket
import time

from tests.broker.badinput import wire
from tests.broker.badinput.probe import handshake, read_until

BROKER_CONFIG = {"max_connections": 10}
SERVER_BUSY, SERVER_UNAVAILABLE_V311 = 0x89, 0x03
FLOOD = 40


def _try_connect(host: str, port: int, index: int) -> tuple[socket.socket, int | None]:
    """Open a connection and CONNECT; the CONNACK code, or None if the broker just closed."""
    sock = socket.create_connection((host, port), timeout=5)
    version = wire.V5 if index % 2 else wire.V311
    try:
        sock.sendall(wire.connect(f"flood-{index}", version))
    except OSError:
        return sock, None
    data, _closed = read_until(sock, lambda got: wire.first_packet(got) is not None, 5.0)
    return sock, wire.connack_code(data)


def _wait_for_growth(bystander, timeout: float = 5.0) -> bool:
    start, deadline = len(bystander.received), time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(bystander.received) > start + 5:
            return True
        time.sleep(0.02)
    return False


def test_flood_refused_while_existing_clients_work(arena) -> None:
    host, port = arena.broker.host, arena.broker.port
    with contextlib.ExitStack() as stack:
        results = []
        for index in range(FLOOD):
            sock, code = _try_connect(host, port, index)
            stack.callback(sock.close)
            results.append((sock, code))
        accepted = [sock for sock, code in results if code == 0]
        refused = [(sock, code) for sock, code in results if code != 0]
        # Two slots belong to the bystander; the other eight go to the first flooders.
        assert len(accepted) == 8, [code for _sock, code in results]
        assert all(code in (SERVER_BUSY, SERVER_UNAVAILABLE_V311, None) for _sock, code in refused)
        for sock, _code in refused:
            _data, closed = read_until(sock, lambda _got: False, 3.0)
            assert closed, "a refused connection was left open"
        assert _wait_for_growth(arena.bystander), "the bystander stalled during the flood"
        for sock in accepted:
            sock.sendall(wire.PINGREQ)
            data, _closed = read_until(sock, lambda got: wire.PINGRESP in got, 3.0)
            assert wire.PINGRESP in data, "an accepted connection stopped answering"
    deadline = time.monotonic() + 5
    while True:  # slots free up once the broker has seen the closes
        with socket.create_connection((host, port), timeout=5) as fresh:
            try:
                handshake(fresh, "after-flood", wire.V5)
                break
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
        time.sleep(0.1)
    arena.bystander.stop()
    assert arena.bystander.problems() == ""
