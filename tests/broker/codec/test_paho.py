"""Cross-checks against paho-mqtt, a client nobody here wrote.

1. paho's public `Properties.pack()/unpack()` and our property codec read each other's bytes.
2. A real paho client talks to a scripted peer that speaks only through this codec (no engine): our decoder
   must read what paho sends, and paho must accept what our encoder sends.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import paho.mqtt.client as paho
import pytest
from hypothesis import given, settings
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties as PahoProperties
from paho.mqtt.subscribeoptions import SubscribeOptions

from broker.codec import (
    ConnAck,
    Connect,
    Disconnect,
    Packet,
    Properties,
    ProtocolVersion,
    PubAck,
    PubComp,
    Publish,
    PubRec,
    PubRel,
    StreamDecoder,
    SubAck,
    Subscribe,
    SubscriptionRequest,
    encode,
    encode_publish,
)
from broker.codec.properties import FIELD_NAMES
from broker.codec.property_codec import decode_properties, encode_properties
from tests.broker.codec.strategies import FUZZ_EXAMPLES, properties_for

pytestmark = pytest.mark.interop

_PAHO_NAMES = {"subscription_identifiers": "SubscriptionIdentifier", "user_properties": "UserProperty"}
_PAHO_NAMES["maximum_qos"] = "MaximumQoS"


def paho_name(field_name: str) -> str:
    return _PAHO_NAMES.get(field_name) or "".join(part.capitalize() for part in field_name.split("_"))


def to_paho(properties: Properties, packet_type: int) -> PahoProperties:
    result = PahoProperties(packet_type)
    for name in FIELD_NAMES:
        value = getattr(properties, name)
        if name in _PAHO_NAMES and name != "maximum_qos":
            for item in value:
                setattr(result, paho_name(name), item)
        elif value is not None:
            setattr(result, paho_name(name), value)
    return result


def from_paho(paho_properties: PahoProperties) -> Properties:
    values = {}
    for name in FIELD_NAMES:
        if hasattr(paho_properties, paho_name(name)):
            values[name] = getattr(paho_properties, paho_name(name))
    return Properties(**values)


@settings(max_examples=max(FUZZ_EXAMPLES // 3, 50), deadline=None)
@given(properties=properties_for(PacketTypes.PUBLISH))
def test_publish_properties_agree_with_paho(properties: Properties) -> None:
    ours = encode_properties(properties)
    paho_properties = PahoProperties(PacketTypes.PUBLISH)
    paho_properties.unpack(ours)
    assert from_paho(paho_properties) == properties
    theirs = to_paho(properties, PacketTypes.PUBLISH).pack()
    assert decode_properties(theirs, 0, len(theirs), PacketTypes.PUBLISH)[0] == properties


def test_connack_properties_agree_with_paho() -> None:
    properties = Properties(
        session_expiry_interval=0,
        assigned_client_identifier="auto",
        server_keep_alive=30,
        receive_maximum=20,
        topic_alias_maximum=10,
        maximum_qos=1,
        retain_available=0,
        maximum_packet_size=1 << 20,
        wildcard_subscription_available=1,
        subscription_identifier_available=1,
        shared_subscription_available=0,
        reason_string="ok",
        response_information="r/",
        server_reference="other",
        user_properties=[("a", "b")],
    )
    theirs = to_paho(properties, PacketTypes.CONNACK).pack()
    assert decode_properties(theirs, 0, len(theirs), PacketTypes.CONNACK)[0] == properties
    paho_properties = PahoProperties(PacketTypes.CONNACK)
    paho_properties.unpack(encode_properties(properties))
    assert from_paho(paho_properties) == properties


class ScriptedPeer:
    """The server side of one paho connection, driven step by step by the test through the codec."""

    def __init__(self, connection: socket.socket) -> None:
        self.connection = connection
        self.decoder = StreamDecoder()
        self.pending: list[Packet] = []

    def receive(self, timeout: float = 5.0) -> Packet:
        deadline = time.monotonic() + timeout
        while not self.pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("paho sent nothing")
            self.connection.settimeout(remaining)
            data = self.connection.recv(65536)
            if not data:
                raise ConnectionError("paho closed the connection")
            self.pending += self.decoder.feed(data)
        return self.pending.pop(0)

    def send(self, packet: Packet) -> None:
        assert self.decoder.protocol_version is not None
        self.connection.sendall(encode(packet, self.decoder.protocol_version))


@contextmanager
def paho_session(
    protocol: paho.MQTTProtocolVersion, version: ProtocolVersion
) -> Iterator[tuple[paho.Client, ScriptedPeer, dict]]:
    """A paho client with a will and credentials, connected (TCP only) to a scripted peer on loopback."""
    events: dict = {"connected": threading.Event(), "subscribed": threading.Event(), "messages": []}
    client = paho.Client(
        paho.CallbackAPIVersion.VERSION2, client_id=f"paho-{protocol.name}", protocol=protocol
    )
    client.on_connect = lambda *args: events["connected"].set()
    client.on_subscribe = lambda *args: events["subscribed"].set()
    client.on_message = lambda _client, _userdata, message: events["messages"].append(message)
    client.will_set("perch/node/status", b"offline", qos=1, retain=True, properties=_will_properties(version))
    client.username_pw_set("agents", "secret")
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(5)
        client.connect("127.0.0.1", listener.getsockname()[1], keepalive=45)
        connection, _ = listener.accept()
    try:
        client.loop_start()
        yield client, ScriptedPeer(connection), events
    finally:
        client.disconnect()
        client.loop_stop()
        connection.close()


def _will_properties(version: ProtocolVersion) -> PahoProperties | None:
    if version != ProtocolVersion.V5:
        return None
    properties = PahoProperties(PacketTypes.WILLMESSAGE)
    properties.WillDelayInterval = 5
    return properties


PROTOCOLS = [
    (paho.MQTTv31, ProtocolVersion.V31),
    (paho.MQTTv311, ProtocolVersion.V311),
    (paho.MQTTv5, ProtocolVersion.V5),
]


def connect_step(peer: ScriptedPeer, events: dict, protocol: paho.MQTTProtocolVersion, is_v5: bool) -> None:
    """paho's CONNECT (will, credentials, will properties) decodes; our CONNACK is accepted."""
    connect = peer.receive()
    assert isinstance(connect, Connect)
    assert (connect.client_id, connect.keep_alive) == (f"paho-{protocol.name}", 45)
    assert (connect.username, connect.password) == ("agents", b"secret")
    assert connect.will is not None
    will = connect.will
    assert (will.topic, will.payload, will.qos, will.retain) == ("perch/node/status", b"offline", 1, True)
    if is_v5:
        assert will.properties.will_delay_interval == 5
    peer.send(ConnAck(False, 0, Properties(topic_alias_maximum=0) if is_v5 else Properties()))
    assert events["connected"].wait(5)


def subscribe_step(client: paho.Client, peer: ScriptedPeer, events: dict, is_v5: bool) -> None:
    """paho's subscription options decode; our SUBACK is accepted."""
    options = SubscribeOptions(qos=2, noLocal=True, retainHandling=1) if is_v5 else None
    client.subscribe("perch/+/status", qos=2 if options is None else 0, options=options)
    subscribe = peer.receive()
    assert isinstance(subscribe, Subscribe)
    expected = SubscriptionRequest("perch/+/status", 2, is_v5, False, 1 if is_v5 else 0)
    assert subscribe.subscriptions == [expected]
    peer.send(SubAck(subscribe.packet_id, [2]))
    assert events["subscribed"].wait(5)


def publish_step(client: paho.Client, peer: ScriptedPeer, is_v5: bool) -> None:
    """paho's QoS 1 retained PUBLISH (with v5 properties) decodes; our PUBACK is accepted."""
    properties = None
    if is_v5:
        properties = PahoProperties(PacketTypes.PUBLISH)
        properties.UserProperty = ("unit", "°C")
        properties.MessageExpiryInterval = 60
    client.publish("perch/node/temp", b"21.4", qos=1, retain=True, properties=properties)
    publish = peer.receive()
    assert isinstance(publish, Publish)
    assert (publish.topic, publish.payload, publish.qos, publish.retain) == (
        "perch/node/temp",
        b"21.4",
        1,
        True,
    )
    if is_v5:
        assert publish.properties == Properties(message_expiry_interval=60, user_properties=[("unit", "°C")])
    peer.send(PubAck(publish.packet_id))  # type: ignore[arg-type]


def deliver_step(peer: ScriptedPeer, events: dict, version: ProtocolVersion) -> None:
    """Our QoS 2 PUBLISH reaches paho's on_message after PUBREC / PUBREL / PUBCOMP."""
    is_v5 = version == ProtocolVersion.V5
    outgoing = Properties(content_type="text/plain", subscription_identifiers=[7]) if is_v5 else None
    peer.connection.sendall(
        encode_publish("perch/node/status", b"online", 2, False, False, 42, outgoing, version)
    )
    assert peer.receive() == PubRec(42)
    peer.send(PubRel(42))
    assert peer.receive() == PubComp(42)
    deadline = time.monotonic() + 5
    while not events["messages"] and time.monotonic() < deadline:
        time.sleep(0.01)
    message = events["messages"][0]
    assert (message.topic, message.payload, message.qos) == ("perch/node/status", b"online", 2)
    if is_v5:
        assert message.properties.ContentType == "text/plain"
        assert message.properties.SubscriptionIdentifier == [7]


@pytest.mark.parametrize(("protocol", "version"), PROTOCOLS, ids=[v.name for _, v in PROTOCOLS])
def test_paho_session_through_the_codec(protocol: paho.MQTTProtocolVersion, version: ProtocolVersion) -> None:
    is_v5 = version == ProtocolVersion.V5
    with paho_session(protocol, version) as (client, peer, events):
        connect_step(peer, events, protocol, is_v5)
        assert peer.decoder.protocol_version == version
        subscribe_step(client, peer, events, is_v5)
        publish_step(client, peer, is_v5)
        deliver_step(peer, events, version)
        client.disconnect()
        assert isinstance(peer.receive(), Disconnect)
