"""Wills, DISCONNECT, keepalive and the CONNECT timeout (MQTT 5.0 sections 3.1.2.5, 3.1.2.10, 3.14)."""

from __future__ import annotations

import pytest

from broker.codec import ReasonCode
from broker.protocol.limits import ProtocolLimits
from tests.broker.protocol.pair import V5, V311, Hub, PingReq, Properties, Will


def _watcher(hub: Hub):
    watcher = hub.connected("watcher", V5)
    watcher.subscribe("will/#")
    return watcher


@pytest.mark.parametrize("version", [V311, V5])
def test_will_is_published_when_the_connection_is_lost(version):
    """[MQTT-3.1.2-8]"""
    hub = Hub()
    watcher = _watcher(hub)
    client = hub.client(version)
    client.connect("w", will=Will("will/w", b"gone", 1, False))
    client.drop()
    [will] = watcher.received_publishes()
    assert (will.topic, will.payload) == ("will/w", b"gone")


@pytest.mark.parametrize("version", [V311, V5])
def test_will_is_discarded_on_a_normal_disconnect(version):
    """[MQTT-3.1.2-10], [MQTT-3.14.4-3]"""
    hub = Hub()
    watcher = _watcher(hub)
    client = hub.client(version)
    client.connect("w", will=Will("will/w", b"gone"))
    client.disconnect()
    client.drop()
    assert watcher.received_publishes() == []


def test_v5_disconnect_with_will_message_publishes_the_will():
    """MQTT 5 3.14.2.1: reason 0x04 asks the server to publish the will."""
    hub = Hub()
    watcher = _watcher(hub)
    client = hub.client(V5)
    client.connect("w", will=Will("will/w", b"gone"))
    client.disconnect(ReasonCode.DISCONNECT_WITH_WILL)
    assert len(watcher.received_publishes()) == 1


def test_will_is_published_on_a_protocol_error():
    """[MQTT-3.1.2-8] a server-closed connection (protocol error) is an abnormal end."""
    hub = Hub()
    watcher = _watcher(hub)
    client = hub.client(V311)
    client.connect("w", will=Will("will/w", b"gone"))
    client.send_bytes(b"\xf0\x00")  # packet type 15 does not exist in 3.1.1
    assert client.is_closed
    assert len(watcher.received_publishes()) == 1


def test_will_delay_and_will_properties():
    """[MQTT-3.1.3-9] delayed; will properties are forwarded with the will."""
    hub = Hub()
    watcher = _watcher(hub)
    client = hub.client(V5)
    properties = Properties(will_delay_interval=5, content_type="text/plain", user_properties=[("k", "v")])
    client.connect(
        "w",
        will=Will("will/w", b"gone", 0, False, properties),
        properties=Properties(session_expiry_interval=60),
    )
    client.drop()
    hub.advance(4)
    assert watcher.received_publishes() == []
    hub.advance(1)
    [will] = watcher.received_publishes()
    assert will.properties.content_type == "text/plain"
    assert will.properties.user_properties == [("k", "v")]


def test_disconnect_may_not_set_session_expiry_after_zero():
    """[MQTT-3.14.2-2] DISCONNECT 0x82 when CONNECT had Session Expiry 0 and DISCONNECT sets one."""
    hub = Hub()
    client = hub.connected("c", V5)
    client.disconnect(properties=Properties(session_expiry_interval=30))
    [disconnect] = client.received()
    assert disconnect.reason_code == ReasonCode.PROTOCOL_ERROR


def test_disconnect_can_change_a_nonzero_session_expiry():
    hub = Hub()
    client = hub.connected("c", V5, clean=False, properties=Properties(session_expiry_interval=30))
    client.disconnect(properties=Properties(session_expiry_interval=0))
    assert "c" not in hub.broker.sessions


@pytest.mark.parametrize("version", [V311, V5])
def test_keepalive_silence_closes_after_one_and_a_half_periods(version):
    """[MQTT-3.1.2-24]: 1.5 x keepalive without a packet closes the connection."""
    hub = Hub()
    client = hub.client(version)
    client.connect("k", keep_alive=10)
    hub.clock.advance(14)
    client.connection.check_timers(hub.clock.now)
    assert not client.is_closed
    client.send(PingReq())
    assert type(client.received()[0]).__name__ == "PingResp"  # [MQTT-3.12.4-1]
    hub.clock.advance(14)
    client.connection.check_timers(hub.clock.now)
    assert not client.is_closed
    hub.clock.advance(2)
    client.connection.check_timers(hub.clock.now)
    assert client.is_closed
    if version == V5:
        assert client.received()[0].reason_code == ReasonCode.KEEP_ALIVE_TIMEOUT


def test_a_client_that_never_sends_connect_is_dropped():
    hub = Hub(limits=ProtocolLimits(connect_timeout=3))
    client = hub.client(V311)
    client.send_bytes(b"\x10")  # the start of a CONNECT, never finished
    hub.clock.advance(2)
    client.connection.check_timers(hub.clock.now)
    assert not client.is_closed
    hub.clock.advance(2)
    client.connection.check_timers(hub.clock.now)
    assert client.is_closed
