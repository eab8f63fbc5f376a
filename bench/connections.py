"""Scenarios about connections and single messages: latency, idle memory, connect rate, retained delivery."""

from __future__ import annotations

import select
import statistics
import struct
import time
from typing import Any

from bench import packets
from bench.client import RECEIVE_CHUNK, BenchClient, cpu_seconds, rss_bytes
from bench.packets import PacketReader
from bench.throughput import Load
from bench.workers import Role, run_roles

SETTLE_SECONDS = 0.5


def _next_publish(client: BenchClient, deadline: float) -> packets.Packet:
    while True:
        for index, packet in enumerate(client.pending):
            if packet.packet_type == packets.PUBLISH:
                return client.pending.pop(index)
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([client.sock], [], [], remaining)[0]:
            raise TimeoutError("message not delivered in time")
        data = client.sock.recv(RECEIVE_CHUNK)
        if not data:
            raise ConnectionError("broker closed the subscriber")
        client.pending += client.reader.feed(data)


def latency(load: Load, qos: int, samples: int = 500, interval: float = 0.002) -> dict[str, float]:
    """One message at a time at a low rate; the time from send to delivery, in microseconds."""
    publisher = BenchClient(load.host, load.port, f"bench-lat-pub{qos}", load.version)
    subscriber = BenchClient(load.host, load.port, f"bench-lat-sub{qos}", load.version)
    subscriber.subscribe("bench/latency", qos)
    timings: list[float] = []
    deadline = time.monotonic() + load.seconds
    cpu_before, wall_before = cpu_seconds(), time.monotonic()
    for number in range(samples):
        if time.monotonic() > deadline:
            break
        message = packets.publish(
            "bench/latency", struct.pack("!Q", number), qos, load.version, number % 65535 + 1
        )
        sent_at = time.perf_counter()
        publisher.sock.sendall(message)
        delivered = _next_publish(subscriber, deadline + 5)
        timings.append(time.perf_counter() - sent_at)
        if qos:
            _, packet_id, _ = delivered.publish_parts(load.version)
            subscriber.sock.sendall(packets.puback(packet_id))
            publisher.expect(packets.PUBACK)
        time.sleep(interval)
    cpu = cpu_seconds() - cpu_before
    publisher.close()
    subscriber.close()
    timings.sort()
    return {
        "p50_us": statistics.median(timings) * 1e6,
        "p99_us": timings[min(len(timings) - 1, int(len(timings) * 0.99))] * 1e6,
        "received": len(timings),
        "expected": samples,
        "loadgen_cpu": cpu / (time.monotonic() - wall_before),
    }


def _hold_connections(ready, start, load: Load, count: int, tag: str) -> dict[str, Any]:
    clients = [BenchClient(load.host, load.port, f"bench-idle-{tag}-{n}", load.version) for n in range(count)]
    ready()
    start()
    for client in clients:
        client.sock.close()
    return {"connected": len(clients)}


def idle_memory(load: Load, broker_pid: int, count: int) -> dict[str, float]:
    """Broker RSS growth per idle connection, after `count` clients connected (held by a child process)."""
    warm_up = BenchClient(load.host, load.port, "bench-idle-warm-up", load.version)
    warm_up.ping()
    warm_up.close()
    time.sleep(SETTLE_SECONDS)
    before = rss_bytes(broker_pid)
    measured: dict[str, float] = {}

    # The child connects every client, reports ready and waits; the parent measures in between.
    roles = [Role(_hold_connections, (load, count, str(count)))]
    result = run_roles(roles, timeout=load.seconds + 60, before_start=lambda: _measure(broker_pid, measured))
    return {
        "bytes_per_connection": (measured["rss"] - before) / count,
        "connected": result[0]["connected"],
        "expected": count,
    }


def _measure(broker_pid: int, measured: dict[str, float]) -> None:
    time.sleep(SETTLE_SECONDS)
    measured["rss"] = rss_bytes(broker_pid)


def _connect_loop(ready, start, load: Load, count: int, tag: str) -> dict[str, Any]:
    ready()
    started = start()
    connected = 0
    while connected < count and time.monotonic() < started + load.seconds:
        BenchClient(load.host, load.port, f"bench-conn-{tag}-{connected}", load.version).close()
        connected += 1
    return {"connected": connected, "elapsed": time.monotonic() - started}


def connect_rate(load: Load, count: int, processes: int = 2) -> dict[str, float]:
    """CONNECT, CONNACK, DISCONNECT, close, in a loop from `processes` processes; connections per second."""
    roles = [Role(_connect_loop, (load, count // processes, str(n))) for n in range(processes)]
    results = run_roles(roles, timeout=load.seconds + 30)
    connected = sum(result["connected"] for result in results)
    elapsed = max(result["elapsed"] for result in results)
    cpu = sum(result["cpu_seconds"] for result in results)
    return {
        "rate": connected / elapsed,
        "received": connected,
        "expected": count // processes * processes,
        "loadgen_cpu": cpu / elapsed,
    }


def retained(load: Load, count: int = 10_000) -> dict[str, float]:
    """Store `count` retained messages, then time their delivery to a new subscriber on '#'."""
    publisher = BenchClient(load.host, load.port, "bench-ret-pub", load.version)
    messages = [
        packets.publish(f"bench/retained/{n:05d}", b"r" * 16, 0, load.version, retain=True)
        for n in range(count)
    ]
    publisher.sock.sendall(b"".join(messages))
    publisher.ping()
    time.sleep(SETTLE_SECONDS)
    subscriber = BenchClient(load.host, load.port, "bench-ret-sub", load.version)
    reader, received = PacketReader(), 0
    started = time.monotonic()
    deadline = started + load.seconds
    subscriber.sock.sendall(packets.subscribe("#", 0, load.version))
    while received < count:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([subscriber.sock], [], [], remaining)[0]:
            break
        data = subscriber.sock.recv(RECEIVE_CHUNK)
        if not data:
            break
        received += sum(1 for packet in reader.feed(data) if packet.packet_type == packets.PUBLISH)
    elapsed = time.monotonic() - started
    publisher.close()
    subscriber.close()
    return {"ms": elapsed * 1000, "received": received, "expected": count}
