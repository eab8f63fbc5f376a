"""Throughput scenarios: fan-in and fan-out at QoS 0, and QoS 1 end to end with a window.

Publishers send pre-encoded batches with one sendall() each; subscribers count bytes of uniformly
sized packets (bench.packets.UniformCounter), so neither side spends Python work per message at QoS 0.
Rates are messages received / (time of the last byte - common start time).
"""

from __future__ import annotations

import select
import struct
import time
from dataclasses import dataclass
from typing import Any

from bench import packets
from bench.client import RECEIVE_CHUNK, BenchClient, count_uniform
from bench.packets import PacketReader
from bench.workers import Role, run_roles

PAYLOAD = b"x" * 32
BATCH = 256  # messages per sendall()
IDLE_TIMEOUT = 2.0


@dataclass
class Load:
    """Where and how hard: the broker's address, the protocol version and the bounds of one run."""

    host: str
    port: int
    version: int = packets.MQTT_311
    messages: int = 20_000
    seconds: float = 5.0


def _publisher(ready, start, load: Load, name: str, topic: str, count: int) -> dict[str, Any]:
    client = BenchClient(load.host, load.port, name, load.version)
    batch = packets.publish(topic, PAYLOAD, 0, load.version) * BATCH
    ready()
    started = start()
    stop_at = started + load.seconds
    sent = 0
    while sent < count and time.monotonic() < stop_at:
        take = min(BATCH, count - sent)
        client.sock.sendall(batch if take == BATCH else batch[: len(batch) // BATCH * take])
        sent += take
    client.close()
    return {"sent": sent}


def _subscribers(ready, start, load: Load, names: list[str], topic_filter: str, expected_each: int):
    clients = [BenchClient(load.host, load.port, name, load.version) for name in names]
    for client in clients:
        client.subscribe(topic_filter, 0)
    ready()
    started = start()
    deadline = started + load.seconds + IDLE_TIMEOUT
    sockets = [client.sock for client in clients]
    received, last_byte, short = count_uniform(sockets, expected_each, deadline, IDLE_TIMEOUT)
    for client in clients:
        client.sock.close()
    return {"received": received, "elapsed": last_byte - started, "short_subscribers": short}


def _summary(results: list[dict[str, Any]], copies: int) -> dict[str, float]:
    """Rates and counts; `copies` is how many subscribers should receive each message sent."""
    received = sum(result.get("received", 0) for result in results)
    expected = copies * sum(result.get("sent", 0) for result in results)
    elapsed = max(result.get("elapsed", 0.0) for result in results)
    cpu = sum(result["cpu_seconds"] for result in results)
    return {
        "rate": received / elapsed if elapsed > 0 else 0.0,
        "received": received,
        "expected": expected,
        "loadgen_cpu": cpu / elapsed if elapsed > 0 else 0.0,
        "short_subscribers": sum(result.get("short_subscribers", 0) for result in results),
    }


def fan_in(load: Load, publishers: int = 4) -> dict[str, float]:
    """`publishers` clients each send load.messages to bench/in/N; one client subscribes to bench/in/+."""
    total = publishers * load.messages
    roles = [Role(_subscribers, (load, ["bench-in-sub"], "bench/in/+", total))]
    roles += [
        Role(_publisher, (load, f"bench-in-pub{n}", f"bench/in/{n}", load.messages))
        for n in range(publishers)
    ]
    return _summary(run_roles(roles, timeout=load.seconds + 30), 1)


def fan_out(load: Load, subscribers: int = 50, processes: int = 2) -> dict[str, float]:
    """One client sends load.messages to bench/out; `subscribers` clients (in `processes`) each get all."""
    names = [f"bench-out-sub{n}" for n in range(subscribers)]
    roles = [
        Role(_subscribers, (load, names[part::processes], "bench/out", load.messages))
        for part in range(processes)
    ]
    roles.append(Role(_publisher, (load, "bench-out-pub", "bench/out", load.messages)))
    return _summary(run_roles(roles, timeout=load.seconds + 30), subscribers)


def _qos1_publisher(ready, start, load: Load, window: int) -> dict[str, Any]:
    client = BenchClient(load.host, load.port, "bench-q1-pub", load.version)
    messages = [
        packets.publish("bench/q1", struct.pack("!Q", n) + PAYLOAD, 1, load.version, n % 65535 + 1)
        for n in range(load.messages)
    ]
    ready()
    stop_at = start() + load.seconds
    sent = acked = 0
    reader = PacketReader()
    while acked < load.messages and time.monotonic() < stop_at:
        if sent < load.messages and sent - acked < window:
            take = min(window - (sent - acked), load.messages - sent)
            client.sock.sendall(b"".join(messages[sent : sent + take]))
            sent += take
        client.sock.settimeout(max(0.01, stop_at - time.monotonic()))
        try:
            data = client.sock.recv(RECEIVE_CHUNK)
        except TimeoutError:
            break
        acked += sum(1 for packet in reader.feed(data) if packet.packet_type == packets.PUBACK)
    client.close()
    return {"sent": sent, "acked": acked}


def _qos1_subscriber(ready, start, load: Load) -> dict[str, Any]:
    client = BenchClient(load.host, load.port, "bench-q1-sub", load.version)
    client.subscribe("bench/q1", 1)
    seen = bytearray(load.messages)
    unique = duplicates = 0
    ready()
    started = start()
    deadline, last_byte = started + load.seconds + IDLE_TIMEOUT, time.monotonic()
    reader = PacketReader()
    while unique < load.messages:
        now = time.monotonic()
        timeout = min(deadline - now, IDLE_TIMEOUT - (now - last_byte))
        if not select.select([client.sock], [], [], max(0.0, timeout))[0]:
            if timeout <= 0:
                break
            continue
        data = client.sock.recv(RECEIVE_CHUNK)
        if not data:
            break
        last_byte = time.monotonic()
        acks = []
        for packet in reader.feed(data):
            if packet.packet_type != packets.PUBLISH:
                continue
            _, packet_id, payload = packet.publish_parts(load.version)
            (sequence,) = struct.unpack_from("!Q", payload)
            acks.append(packets.puback(packet_id))
            if seen[sequence]:
                duplicates += 1
            else:
                seen[sequence] = 1
                unique += 1
        client.sock.sendall(b"".join(acks))
    client.sock.close()
    return {"received": unique, "duplicates": duplicates, "elapsed": last_byte - started}


def qos1(load: Load, window: int = 16) -> dict[str, float]:
    """QoS 1 publisher with at most `window` unacknowledged messages to a QoS 1 subscriber; loss counted."""
    roles = [Role(_qos1_subscriber, (load,)), Role(_qos1_publisher, (load, window))]
    results = run_roles(roles, timeout=load.seconds + 30)
    summary = _summary(results, 1)
    summary["lost"] = max(0, results[1]["acked"] - summary["received"])
    summary["duplicates"] = results[0]["duplicates"]
    return summary
