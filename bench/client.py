"""Blocking raw-socket MQTT clients for the load generator: connect, subscribe, wait, count CPU."""

from __future__ import annotations

import contextlib
import os
import resource
import select
import socket
import time

from bench import packets
from bench.packets import Packet, PacketReader

RECEIVE_CHUNK = 1 << 18


class BenchClient:
    """One MQTT connection over a plain socket, for set-up steps; the hot loops use .sock directly."""

    def __init__(self, host: str, port: int, client_id: str, version: int = packets.MQTT_311) -> None:
        self.version = version
        self.sock = socket.create_connection((host, port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = PacketReader()
        self.pending: list[Packet] = []
        self.sock.sendall(packets.connect(client_id, version))
        connack = self.expect(packets.CONNACK)
        reason = connack.body[1]
        if reason:
            raise ConnectionError(f"CONNACK refused {client_id}: code {reason}")

    def expect(self, packet_type: int, timeout: float = 10.0) -> Packet:
        """The next packet of this type (earlier ones of other types stay in .pending)."""
        deadline = time.monotonic() + timeout
        while True:
            for index, packet in enumerate(self.pending):
                if packet.packet_type == packet_type:
                    return self.pending.pop(index)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no packet of type {packet_type} within {timeout} s")
            self.sock.settimeout(remaining)
            data = self.sock.recv(RECEIVE_CHUNK)
            if not data:
                raise ConnectionError("broker closed the connection")
            self.pending += self.reader.feed(data)

    def subscribe(self, topic_filter: str, qos: int = 0) -> None:
        self.sock.sendall(packets.subscribe(topic_filter, qos, self.version))
        suback = self.expect(packets.SUBACK)
        granted = suback.body[-1]
        if granted >= 0x80:
            raise ConnectionError(f"SUBSCRIBE {topic_filter!r} refused: code {granted:#x}")

    def ping(self) -> None:
        """A PINGREQ round trip: everything sent before it has been read by the broker."""
        self.sock.sendall(packets.PINGREQ)
        self.expect(packets.PINGRESP)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.sendall(packets.DISCONNECT)
        self.sock.close()


def cpu_seconds() -> float:
    """User + system CPU time of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of another process, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pss_bytes(pid: int) -> int:
    """Proportional set size (/proc/PID/smaps_rollup): shared pages split between the processes that
    map them, so two processes' PSS add up to the memory they use together."""
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    raise ValueError(f"no Pss for pid {pid}")


def rss_bytes(pid: int) -> int:
    """Resident set size of a process, from /proc/PID/status (VmRSS)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise ValueError(f"no VmRSS for pid {pid}")


def count_uniform(
    sockets: list[socket.socket], expected_each: int, deadline: float, idle_timeout: float
) -> tuple[int, float, int]:
    """Count identical-size PUBLISH packets on several sockets until each has expected_each, the
    deadline passes or nothing arrives for idle_timeout. Returns (total count, time of last byte,
    how many sockets got fewer than expected_each)."""
    counters = {sock.fileno(): packets.UniformCounter() for sock in sockets}
    by_fd = {sock.fileno(): sock for sock in sockets}
    waiting = set(by_fd)
    last_byte = time.monotonic()
    for sock in sockets:
        sock.setblocking(False)
    while waiting:
        now = time.monotonic()
        timeout = min(deadline - now, idle_timeout - (now - last_byte))
        # A load generator descheduled past the timeout still reads what arrived meanwhile.
        ready, _, _ = select.select(list(waiting), [], [], max(0.0, timeout))
        if not ready and timeout <= 0:
            break
        for fd in ready:
            data = by_fd[fd].recv(RECEIVE_CHUNK)
            if not data:
                waiting.discard(fd)
                continue
            counter = counters[fd]
            counter.feed(data)
            if counter.count >= expected_each:
                waiting.discard(fd)
        if ready:
            last_byte = time.monotonic()
    short = sum(1 for counter in counters.values() if counter.count < expected_each)
    return sum(counter.count for counter in counters.values()), last_byte, short
