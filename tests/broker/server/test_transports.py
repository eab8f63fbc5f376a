"""The asyncio transports: one log line per connect and per disconnect, a small idle footprint, and
output flushed when the read that caused it ends."""

from __future__ import annotations

import asyncio
import gc
import logging
import re
import socket
import time
from collections.abc import Iterator

import pytest

from broker.codec import ConnAck, Connect, Disconnect, ProtocolVersion
from broker.codec.encoder import encode
from broker.codec.stream import StreamDecoder
from broker.config import BrokerConfig, ListenerConfig
from broker.server.app import RunningBroker, start_in_thread
from broker.server.tcp import TcpTransport
from broker.server.transports import MqttTransport, PendingFlushes
from broker.server.websocket import WebSocketTransport

V311 = ProtocolVersion.V311


@pytest.fixture
def running() -> Iterator[RunningBroker]:
    broker = start_in_thread(BrokerConfig(listeners=[ListenerConfig(port=0)], sys_interval=0))
    try:
        yield broker
    finally:
        broker.stop()


def _wait_for(caplog, pattern: str) -> str:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for message in caplog.messages:
            if re.search(pattern, message):
                return message
        time.sleep(0.01)
    raise AssertionError(f"no log line like {pattern!r} in {caplog.messages!r}")


def test_a_connect_and_a_disconnect_log_one_line_each_with_the_peer(running, caplog):
    caplog.set_level(logging.INFO, logger="perch.broker")
    with socket.create_connection(("127.0.0.1", running.ports["mqtt"]), timeout=5) as client:
        local_port = client.getsockname()[1]
        client.sendall(encode(Connect(client_id="logged"), V311))
        assert isinstance(StreamDecoder(protocol_version=V311).feed(client.recv(64))[0], ConnAck)
        client.sendall(encode(Disconnect(), V311))
        assert client.recv(64) == b""
    line = _wait_for(caplog, r"client logged connected")
    assert line == f"client logged connected from 127.0.0.1:{local_port} (mqtt, MQTT level 4)"
    _wait_for(caplog, r"client logged disconnected: client disconnected")
    assert sum("logged" in message for message in caplog.messages) == 2


def test_a_refused_connection_names_its_peer(running, caplog):
    caplog.set_level(logging.INFO, logger="perch.broker")
    with socket.create_connection(("127.0.0.1", running.ports["mqtt"]), timeout=5) as client:
        local_port = client.getsockname()[1]
        client.sendall(b"\x20\x02\x00\x00")  # a CONNACK is no way to start
        assert client.recv(64) == b""
    _wait_for(caplog, rf"connection from 127\.0\.0\.1:{local_port} refused")


def test_transports_keep_no_instance_dict():
    """An idle connection's protocol object is a few slots, not a dict (issue 7: memory per connection)."""
    for transport_class in (MqttTransport, WebSocketTransport):
        assert "__dict__" not in dir(transport_class)


def test_plain_mqtt_connections_run_on_perch_tcp_transport(running):
    with socket.create_connection(("127.0.0.1", running.ports["mqtt"]), timeout=5) as client:
        client.sendall(encode(Connect(client_id="light"), V311))
        assert isinstance(StreamDecoder(protocol_version=V311).feed(client.recv(64))[0], ConnAck)
        (transport,) = list(running.server.transports)
        assert type(transport.transport) is TcpTransport
        assert transport.peer == f"127.0.0.1:{client.getsockname()[1]}"


def test_a_finished_connection_is_freed_without_the_cycle_collector(running):
    """No transport <-> connection cycle is left behind: a connect storm leaves no garbage to collect."""
    gc.collect()
    gc.disable()
    try:
        for number in range(5):
            with socket.create_connection(("127.0.0.1", running.ports["mqtt"]), timeout=5) as client:
                client.sendall(encode(Connect(client_id=f"freed-{number}"), V311))
                assert client.recv(64)[0] == 0x20
                client.sendall(encode(Disconnect(), V311))
                assert client.recv(64) == b""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            alive = [o for o in gc.get_objects() if type(o) is MqttTransport]
            if not alive:
                break
            del alive
            time.sleep(0.01)
        assert not [o for o in gc.get_objects() if type(o) is MqttTransport]
    finally:
        gc.enable()


class _Flushed:
    """Stands in for a transport: records its flush, and may cause output on another one."""

    def __init__(self, name: str, log: list[str], causes: tuple | None = None) -> None:
        self.name, self.log, self.causes = name, log, causes

    def flush(self) -> None:
        self.log.append(self.name)
        if self.causes is not None:
            flushes, other = self.causes
            flushes.add(other)


def test_pending_flushes_run_at_the_end_of_a_read_including_what_flushing_causes():
    """A subscriber's output is written when the read that caused it ends (flush_all), in order;
    output a flush causes (a close publishing a will) is flushed in the same call."""

    async def scenario() -> tuple[list[str], list[str]]:
        log: list[str] = []
        flushes = PendingFlushes()
        will_target = _Flushed("will-subscriber", log)
        flushes.add(_Flushed("a", log))
        flushes.add(_Flushed("closing", log, (flushes, will_target)))
        flushes.flush_all()
        at_end_of_read = list(log)
        await asyncio.sleep(0)  # the batch's call_soon finds nothing left
        return at_end_of_read, log

    at_end_of_read, after_turn = asyncio.run(scenario())
    assert at_end_of_read == ["a", "closing", "will-subscriber"]
    assert after_turn == at_end_of_read


def test_output_made_outside_a_read_is_flushed_on_the_next_loop_turn():
    async def scenario() -> tuple[list[str], list[str]]:
        log: list[str] = []
        flushes = PendingFlushes()
        flushes.add(_Flushed("timer-output", log))
        before = list(log)
        await asyncio.sleep(0)
        return before, log

    before, after = asyncio.run(scenario())
    assert (before, after) == ([], ["timer-output"])
