"""Play one corpus case against a live broker over a raw socket and judge what came back."""

from __future__ import annotations

import contextlib
import socket
import time
from dataclasses import dataclass

from tests.broker.badinput import wire
from tests.broker.badinput.cases import SHUT_WR, Case, Expect

READ_TIMEOUT = 2.5  # after the last step: how long the broker has to answer and close
ACK_TYPES = {0x4, 0x5, 0x6, 0x7, 0x9, 0xB}  # acks the broker may send before closing


@dataclass
class Observed:
    data: bytes = b""
    closed: bool = False
    alive_after: bool | None = None  # for reply cases: did a PINGREQ still get a PINGRESP?
    error: str = ""


def handshake(sock: socket.socket, client_id: str, version: int, keepalive: int = 30) -> bytes:
    """Send a valid CONNECT and return its CONNACK packet bytes (raises if refused)."""
    sock.sendall(wire.connect(client_id, version, keepalive=keepalive))
    data = read_until(sock, lambda got: wire.first_packet(got) is not None, 5.0)[0]
    code = wire.connack_code(data)
    if code != 0:
        raise AssertionError(f"valid CONNECT refused: {data.hex()}")
    return data


def read_until(sock: socket.socket, done, timeout: float) -> tuple[bytes, bool]:
    """Read until done(data), EOF (closed=True) or timeout; every loop is bounded in time."""
    data, deadline = b"", time.monotonic() + timeout
    while not done(data):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return data, False
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            return data, False
        except OSError:
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def _send_steps(sock: socket.socket, case: Case) -> bool:
    """Send every step; True if the broker closed the connection while we were still sending."""
    for step in case.steps:
        try:
            if isinstance(step, float):
                time.sleep(step)
            elif step == SHUT_WR:
                sock.shutdown(socket.SHUT_WR)
            else:
                sock.sendall(step)
        except OSError:
            return True
    return False


def _replies_complete(expect: Expect):
    wanted = len(expect.packets)
    return lambda data: len(wire.split_packets(data)) >= wanted


def play(host: str, port: int, case: Case) -> Observed:
    client_id = f"bad-{case.id}"
    observed = Observed()
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        if case.connected:
            handshake(sock, client_id, case.version, case.keepalive)
        broke = _send_steps(sock, case)
        with contextlib.ExitStack() as rivals:
            if case.rival:
                rival = rivals.enter_context(socket.create_connection((host, port), timeout=5))
                handshake(rival, client_id, case.version)
            replies = [expect for expect in case.expect if expect.kind == "reply"]
            done = _replies_complete(replies[0]) if replies else (lambda _data: False)
            observed.data, observed.closed = read_until(sock, done, READ_TIMEOUT)
            observed.closed = observed.closed or (broke and not observed.data)
            if replies and not observed.closed:
                observed.alive_after = _still_alive(sock)
    return observed


def _still_alive(sock: socket.socket) -> bool:
    try:
        sock.sendall(wire.PINGREQ)
    except OSError:
        return False
    data, _closed = read_until(sock, lambda got: wire.PINGRESP in got, READ_TIMEOUT)
    return wire.PINGRESP in data


def judge(case: Case, observed: Observed) -> str:
    """'' when the observation matches one of the case's allowed outcomes, else why not."""
    packets = wire.split_packets(observed.data)
    for expect in case.expect:
        if _matches(expect, packets, observed):
            return ""
    wanted = " or ".join(expect.describe() for expect in case.expect)
    seen = ", ".join(f"{first:#04x} {body[:8].hex()}" for first, body in packets) or "nothing"
    state = "closed" if observed.closed else "still open"
    return f"{case.id} [{case.spec}]: expected {wanted}; got {seen}, connection {state}"


def _matches(expect: Expect, packets: list[tuple[int, bytes]], observed: Observed) -> bool:
    if expect.kind == "reply":
        if observed.closed or observed.alive_after is not True or len(packets) < len(expect.packets):
            return False
        return all(
            got[0] == first and got[1].startswith(prefix)
            for got, (first, prefix) in zip(packets, expect.packets, strict=False)
        )
    if not observed.closed:
        return False
    if expect.kind == "close":
        return not packets
    final = [p for p in packets if p[0] >> 4 not in ACK_TYPES]
    if len(final) != 1:
        return False
    first, body = final[0]
    if expect.kind == "connack":
        return first == 0x20 and len(body) >= 2 and body[1] in expect.codes
    code = body[0] if body else 0
    return first == 0xE0 and code in expect.codes
