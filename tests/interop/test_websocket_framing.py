"""MQTT over WebSockets (MQTT 5 section 6) at the frame level, with the `websockets` library as the client."""

from __future__ import annotations

import pytest
from websockets.sync.client import connect as ws_connect

from tests.interop import raw
from tests.interop.brokers import unique_id

pytestmark = pytest.mark.interop


def open_mqtt_websocket(broker):
    return ws_connect(
        f"ws://{broker.host}:{broker.ws_port}/mqtt",
        subprotocols=["mqtt"],
        compression=None,
        proxy=None,
        open_timeout=5,
        close_timeout=2,
    )


def read_packet(ws, buffer: bytearray) -> raw.Packet:
    """Collect binary frames until one whole MQTT packet is buffered; return it and keep the rest."""
    for _ in range(100):
        if len(buffer) >= 2:
            try:
                length, start = raw.read_varint(bytes(buffer), 1)
            except IndexError:
                length, start = None, 0
            if length is not None and len(buffer) >= start + length:
                first, body = buffer[0], bytes(buffer[start : start + length])
                del buffer[: start + length]
                return raw.Packet(first >> 4, first & 0x0F, body)
        frame = ws.recv(timeout=5)
        assert isinstance(frame, bytes), "MQTT must travel in binary frames [MQTT-6.0.0-1]"
        buffer.extend(frame)
    raise AssertionError("no whole MQTT packet in 100 frames")


def test_subprotocol_is_mqtt(broker_under_test):
    """[MQTT-6.0.0-4] the server selects the `mqtt` WebSocket subprotocol the client offered."""
    with open_mqtt_websocket(broker_under_test) as ws:
        assert ws.subprotocol == "mqtt"


def test_packets_split_across_frames_and_packed_into_one(broker_under_test):
    """[MQTT-6.0.0-2] the receiver must not assume packets are aligned on frame boundaries: a CONNECT sent in
    three frames is understood, and SUBSCRIBE + PUBLISH sent in one frame are both handled."""
    topic = unique_id("ws/frames")
    connect = raw.connect(unique_id("ws"), version=4)
    with open_mqtt_websocket(broker_under_test) as ws:
        for start in range(0, len(connect), 7):
            ws.send(connect[start : start + 7])
        buffer = bytearray()
        assert read_packet(ws, buffer).kind == raw.CONNACK
        ws.send(
            raw.subscribe(1, [(topic, 1)], version=4)
            + raw.publish(topic, b"framed", qos=1, packet_id=2, version=4)
        )
        kinds, message = set(), None
        for _ in range(3):
            packet = read_packet(ws, buffer)
            kinds.add(packet.kind)
            if packet.kind == raw.PUBLISH:
                message = raw.parse_publish(packet, version=4)
        assert kinds == {raw.SUBACK, raw.PUBACK, raw.PUBLISH}
        assert (message.topic, message.payload) == (topic, b"framed")
