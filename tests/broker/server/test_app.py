"""The asyncio server over real sockets on 127.0.0.1 port 0: TCP, WebSocket, $SYS, isolation."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from websockets.sync.client import connect as ws_connect

from broker.codec import ConnAck, Connect, ProtocolVersion, Publish, SubAck, Subscribe, SubscriptionRequest
from broker.codec.encoder import encode
from broker.codec.stream import StreamDecoder
from broker.config import BrokerConfig, ListenerConfig
from broker.server.app import ListenError, RunningBroker, start_in_thread

V311 = ProtocolVersion.V311


@pytest.fixture
def running() -> Iterator[RunningBroker]:
    config = BrokerConfig(
        listeners=[ListenerConfig(port=0), ListenerConfig(port=0, websockets=True)], sys_interval=0.5
    )
    broker = start_in_thread(config)
    try:
        yield broker
    finally:
        broker.stop()


class RawClient:
    """A blocking MQTT 3.1.1 client over a plain socket, enough to check the server end to end."""

    def __init__(self, port: int) -> None:
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.decoder = StreamDecoder(protocol_version=V311)
        self.pending: list[object] = []

    def send(self, *packets: object) -> None:
        self.socket.sendall(b"".join(encode(packet, V311) for packet in packets))

    def next_packet(self) -> object:
        for _ in range(100):
            if self.pending:
                return self.pending.pop(0)
            data = self.socket.recv(65536)
            if not data:
                raise ConnectionError("closed by the broker")
            self.pending.extend(self.decoder.feed(data))
        raise AssertionError("no packet")

    def is_closed_by_peer(self) -> bool:
        try:
            return self.socket.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.socket.close()


def _connect(port: int, client_id: str) -> RawClient:
    client = RawClient(port)
    client.send(Connect(client_id=client_id))
    assert isinstance(client.next_packet(), ConnAck)
    return client


def test_tcp_publish_and_subscribe(running):
    subscriber = _connect(running.ports["mqtt"], "sub")
    subscriber.send(Subscribe(1, [SubscriptionRequest("swa_news", 1)]))
    assert isinstance(subscriber.next_packet(), SubAck)
    publisher = _connect(running.ports["mqtt"], "pub")
    publisher.send(Publish("swa_news", b"Hello Protocol"))
    delivered = subscriber.next_packet()
    assert (delivered.topic, delivered.payload) == ("swa_news", b"Hello Protocol")
    subscriber.close()
    publisher.close()


def test_sys_topics_report_mosquitto_names(running):
    client = _connect(running.ports["mqtt"], "sys")
    client.send(Subscribe(1, [SubscriptionRequest("$SYS/broker/#", 0)]))
    assert isinstance(client.next_packet(), SubAck)
    seen = {}
    for _ in range(40):
        packet = client.next_packet()
        seen[packet.topic] = packet.payload
        if "$SYS/broker/clients/connected" in seen and "$SYS/broker/bytes/received" in seen:
            break
    for name in ("version", "uptime", "clients/connected", "messages/received", "messages/sent"):
        assert f"$SYS/broker/{name}" in seen
    assert seen["$SYS/broker/version"].startswith(b"perch")
    client.close()


def test_malformed_input_closes_only_that_connection(running):
    """Other clients never notice a bad one (issue 2: malformed input)."""
    good = _connect(running.ports["mqtt"], "good")
    bad = _connect(running.ports["mqtt"], "bad")
    bad.socket.sendall(b"\x30\xff\xff\xff\xff\x7f")  # remaining length longer than 4 bytes
    assert bad.is_closed_by_peer()
    huge = RawClient(running.ports["mqtt"])
    huge.socket.sendall(b"\x10\xff\xff\xff\x7f\x00")  # declares 256 MB, sends a byte
    assert huge.is_closed_by_peer()
    good.send(Subscribe(1, [SubscriptionRequest("t", 0)]))
    assert isinstance(good.next_packet(), SubAck)
    good.close()


def test_websocket_binary_frames_and_packets_spanning_frames(running):
    """MQTT over WebSocket: subprotocol mqtt, binary frames; a packet may span frames (MQTT 5 6.0)."""
    url = f"ws://127.0.0.1:{running.ports['ws']}/any/path"
    with ws_connect(url, subprotocols=["mqtt"]) as websocket:
        assert websocket.subprotocol == "mqtt"
        data = encode(Connect(client_id="ws"), V311) + encode(
            Subscribe(1, [SubscriptionRequest("w", 0)]), V311
        )
        websocket.send(data[:5])
        websocket.send(data[5:])
        decoder = StreamDecoder(protocol_version=V311)
        packets: list[object] = []
        while len(packets) < 2:
            packets.extend(decoder.feed(websocket.recv(timeout=5)))
        assert [type(p) for p in packets] == [ConnAck, SubAck]
        publisher = _connect(running.ports["mqtt"], "tcp-pub")
        publisher.send(Publish("w", b"over ws"))
        [delivered] = decoder.feed(websocket.recv(timeout=5))
        assert delivered.payload == b"over ws"
        publisher.close()


def test_port_in_use_is_a_listen_error():
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    try:
        config = BrokerConfig(listeners=[ListenerConfig(port=holder.getsockname()[1])])
        with pytest.raises(ListenError, match="cannot listen"):
            start_in_thread(config)
    finally:
        holder.close()


def test_password_and_acl_files_are_enforced(tmp_path):
    """allow_anonymous false + Mosquitto-format password and ACL files (broker.auth) guard the listener."""
    from broker.auth import PasswordFile

    passwords = PasswordFile()
    passwords.set("alice", "secret")
    passwords.save(tmp_path / "passwd")
    (tmp_path / "acl").write_text("user alice\ntopic readwrite open/#\n")
    config = BrokerConfig(
        listeners=[ListenerConfig(port=0)],
        allow_anonymous=False,
        password_file=str(tmp_path / "passwd"),
        acl_file=str(tmp_path / "acl"),
    )
    broker = start_in_thread(config)
    try:
        anonymous = RawClient(broker.ports["mqtt"])
        anonymous.send(Connect(client_id="anon"))
        assert anonymous.next_packet().reason_code == 5  # 3.1.1: not authorized
        anonymous.close()
        alice = RawClient(broker.ports["mqtt"])
        alice.send(Connect(client_id="a", username="alice", password=b"secret"))
        assert alice.next_packet().reason_code == 0
        alice.send(Subscribe(1, [SubscriptionRequest("open/#", 0), SubscriptionRequest("closed/#", 0)]))
        assert alice.next_packet().reason_codes == [0, 0x80]
        alice.close()
    finally:
        broker.stop()


def test_unreadable_acl_file_is_a_config_error(tmp_path):
    from broker.config import ConfigError

    config = BrokerConfig(listeners=[ListenerConfig(port=0)], acl_file=str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="acl_file"):
        start_in_thread(config)


def test_a_subscriber_that_never_reads_costs_bounded_memory_and_others_still_get_messages(running):
    """Bounded queues: a stalled reader loses QoS 0 and stops being read; the broker and others go on."""
    stalled = _connect(running.ports["mqtt"], "stalled")
    stalled.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.send(Subscribe(1, [SubscriptionRequest("flood", 0)]))
    assert isinstance(stalled.next_packet(), SubAck)
    healthy = _connect(running.ports["mqtt"], "healthy")
    healthy.send(Subscribe(1, [SubscriptionRequest("flood", 0)]))
    assert isinstance(healthy.next_packet(), SubAck)
    publisher = _connect(running.ports["mqtt"], "flooder")
    chunk = encode(Publish("flood", b"x" * 1000), V311) * 100
    for _ in range(200):  # 20 MB: more than kernel buffers plus the 1 MB write buffer bound
        publisher.socket.sendall(chunk)
        received = 0
        while received < len(chunk):  # the healthy subscriber keeps up
            received += len(healthy.socket.recv(1 << 20))
    stats = running.server.broker.stats
    assert stats.publish_dropped > 0
    stalled_transport = next(
        t
        for t in running.server.transports
        if t.connection is not None and t.connection.client_id == "stalled"
    )
    assert stalled_transport.transport.get_write_buffer_size() < 3 * 1024 * 1024
    for client in (stalled, healthy, publisher):
        client.close()
