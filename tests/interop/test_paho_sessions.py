"""paho-mqtt 2.x: wills, persistent sessions, takeover, clean start and session expiry (3.1.1 and 5.0)."""

from __future__ import annotations

import time

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from tests.interop.brokers import unique_id
from tests.interop.paho_client import props

pytestmark = pytest.mark.interop

VERSIONS = [pytest.param(4, id="v311"), pytest.param(5, id="v5")]
PERSISTENT = {"SessionExpiryInterval": 60}


def will_of(topic: str, payload: bytes = b"gone", qos: int = 1, **will_props: int) -> dict:
    properties = props(PacketTypes.WILLMESSAGE, **will_props) if will_props else None
    return {"topic": topic, "payload": payload, "qos": qos, "properties": properties}


def persistent(version: int) -> dict:
    """Options of a client whose session outlives its connection in either protocol version."""
    return {"version": version, "clean": False, "connect_props": PERSISTENT if version == 5 else None}


@pytest.mark.parametrize("version", VERSIONS)
def test_will_published_when_connection_is_lost(paho, version):
    """[MQTT-3.1.2-8] the will is published when the connection ends without DISCONNECT."""
    topic = unique_id("sessions/will")
    watcher = paho(version=version)
    watcher.subscribe(topic, 1)
    dying = paho(version=version, will=will_of(topic))
    dying.kill()
    (will,) = watcher.receive(1)
    assert (will.topic, will.payload, will.qos) == (topic, b"gone", 1)


@pytest.mark.parametrize("version", VERSIONS)
def test_will_discarded_on_normal_disconnect(paho, version):
    """[MQTT-3.1.2-10] / [MQTT-3.14.4-3] a DISCONNECT (reason 0x00) deletes the will without publishing it."""
    topic = unique_id("sessions/nowill")
    watcher = paho(version=version)
    watcher.subscribe(topic, 1)
    leaving = paho(version=version, will=will_of(topic))
    leaving.disconnect()
    watcher.receive_none(0.7)


@pytest.mark.parametrize("version", VERSIONS)
def test_retained_will_is_kept_for_later_subscribers(paho, version):
    """[MQTT-3.1.2-17] (3.1.1 numbering) a will with Will Retain = 1 is published as a retained message."""
    topic = unique_id("sessions/will-retained")
    watcher = paho(version=version)
    watcher.subscribe(topic, 1)
    dying = paho(version=version, will={**will_of(topic), "retain": True})
    dying.kill()
    watcher.receive(1)  # the will is out
    latecomer = paho(version=version)
    latecomer.subscribe(topic, 1)
    (will,) = latecomer.receive(1)
    assert (will.payload, will.retain) == (b"gone", True)


def test_v5_disconnect_with_will_message_publishes_the_will(paho):
    """MQTT 5 DISCONNECT reason 0x04 (Disconnect with Will Message): the will is published (3.14.2.1)."""
    topic = unique_id("sessions/will04")
    watcher = paho()
    watcher.subscribe(topic, 1)
    leaving = paho(will=will_of(topic))
    leaving.client.disconnect(reasoncode=ReasonCode(PacketTypes.DISCONNECT, identifier=0x04))
    leaving.wait_disconnect()
    assert watcher.receive(1)[0].payload == b"gone"


def test_v5_will_delay_postpones_the_will(paho):
    """[MQTT-3.1.3-9] the will waits for the Will Delay Interval (here 2 s) while the session lives on."""
    topic = unique_id("sessions/delay")
    watcher = paho()
    watcher.subscribe(topic, 1)
    dying = paho(will=will_of(topic, WillDelayInterval=2), connect_props=PERSISTENT)
    dying.kill()
    watcher.receive_none(1.0)
    assert watcher.receive(1, timeout=4.0)[0].payload == b"gone"


def test_v5_will_cancelled_by_reconnect_within_the_delay(paho):
    """[MQTT-3.1.3-9] a new connection to the session before the Will Delay Interval ends: no will."""
    topic = unique_id("sessions/cancel")
    client_id = unique_id("cancel")
    watcher = paho()
    watcher.subscribe(topic, 1)
    dying = paho(client_id, clean=False, will=will_of(topic, WillDelayInterval=2), connect_props=PERSISTENT)
    dying.kill()
    paho(client_id, clean=False, connect_props=PERSISTENT)
    watcher.receive_none(3.0)


def test_v5_will_sent_when_session_ends_before_the_delay(paho):
    """[MQTT-3.1.3-9] the will goes out when the session expires (1 s), before its delay (60 s)."""
    topic = unique_id("sessions/expire-will")
    watcher = paho()
    watcher.subscribe(topic, 1)
    dying = paho(will=will_of(topic, WillDelayInterval=60), connect_props={"SessionExpiryInterval": 1})
    dying.kill()
    assert watcher.receive(1, timeout=4.0)[0].payload == b"gone"


@pytest.mark.parametrize("qos", [1, 2])
@pytest.mark.parametrize("version", VERSIONS)
def test_persistent_session_queues_messages_while_offline(paho, version, qos):
    """[MQTT-3.1.2-4]/[MQTT-3.1.2-5] the session and its subscriptions survive; QoS 1/2 messages
    published while the client was away are delivered on reconnect; [MQTT-3.2.2-2] Session Present is 1."""
    client_id, topic = unique_id("offline"), unique_id("sessions/offline")
    first = paho(client_id, **persistent(version))
    first.subscribe(topic, qos)
    first.disconnect()
    publisher = paho(version=version)
    for number in range(3):
        publisher.publish(topic, f"queued {number}".encode(), qos=qos)
    again = paho(client_id, **persistent(version))
    assert again.session_present
    received = again.receive(3)
    assert [m.payload for m in received] == [b"queued 0", b"queued 1", b"queued 2"]
    assert {m.qos for m in received} == {qos}


@pytest.mark.parametrize("version", VERSIONS)
def test_clean_session_discards_the_old_session(paho, version):
    """[MQTT-3.1.2-4] (v5 Clean Start) / [MQTT-3.1.2-6] (3.1.1 CleanSession): a clean connect drops the
    stored session; [MQTT-3.2.2-1] Session Present is 0; old subscriptions no longer deliver."""
    client_id, topic = unique_id("clean"), unique_id("sessions/clean")
    first = paho(client_id, **persistent(version))
    first.subscribe(topic, 1)
    first.disconnect()
    fresh = paho(client_id, version=version, clean=True)
    assert not fresh.session_present
    paho(version=version).publish(topic, b"nobody subscribed", qos=1)
    fresh.receive_none(0.5)


def test_v5_session_expiry_ends_the_session(paho):
    """[MQTT-3.1.2-23] the session keeps the session only Session Expiry Interval (1 s) after the close."""
    client_id, topic = unique_id("expiry"), unique_id("sessions/expiry")
    first = paho(client_id, clean=False, connect_props={"SessionExpiryInterval": 1})
    first.subscribe(topic, 1)
    first.disconnect()
    time.sleep(2.5)
    again = paho(client_id, clean=False, connect_props=PERSISTENT)
    assert not again.session_present
    paho().publish(topic, b"after expiry", qos=1)
    again.receive_none(0.5)


def test_v5_session_expiry_absent_means_session_ends_with_connection(paho):
    """3.1.2.11.2: Session Expiry Interval absent is 0: the session ends when the connection closes."""
    client_id = unique_id("noexpiry")
    first = paho(client_id, clean=False)
    first.subscribe(unique_id("sessions/noexpiry"), 1)
    first.disconnect()
    again = paho(client_id, clean=False)
    assert not again.session_present


def test_v5_clean_start_with_expiry_starts_a_session_that_outlives_the_connection(paho):
    """[MQTT-3.1.2-4] Clean Start = 1 discards any old session and starts a new one, which the Session Expiry
    Interval (60 s) keeps after the close [MQTT-3.1.2-23]: the next Clean Start = 0 connect finds it."""
    client_id, topic = unique_id("fresh-kept"), unique_id("sessions/fresh-kept")
    first = paho(client_id, clean=True, connect_props=PERSISTENT)
    assert not first.session_present
    first.subscribe(topic, 1)
    first.disconnect()
    paho().publish(topic, b"kept for you", qos=1)
    again = paho(client_id, clean=False, connect_props=PERSISTENT)
    assert again.session_present
    assert again.receive(1)[0].payload == b"kept for you"


def test_v5_disconnect_can_end_the_session_with_expiry_zero(paho):
    """3.14.2.2.2: DISCONNECT with Session Expiry Interval 0 ends a session CONNECT had set to last 60 s."""
    client_id = unique_id("end-now")
    first = paho(client_id, clean=False, connect_props=PERSISTENT)
    first.subscribe(unique_id("sessions/end-now"), 1)
    first.disconnect(SessionExpiryInterval=0)
    again = paho(client_id, clean=False, connect_props=PERSISTENT)
    assert not again.session_present


@pytest.mark.parametrize("version", VERSIONS)
def test_session_takeover_closes_the_old_connection(paho, version):
    """[MQTT-3.1.4-3] a second connection with the same client id disconnects the first; MQTT 5 sends it
    DISCONNECT 0x8E (Session taken over) first; the session continues on the new connection."""
    client_id, topic = unique_id("takeover"), unique_id("sessions/takeover")
    old = paho(client_id, **persistent(version))
    old.subscribe(topic, 1)
    new = paho(client_id, **persistent(version))
    reason, _ = old.wait_disconnect()
    if version == 5:
        assert reason.value == 0x8E
    assert new.session_present
    paho(version=version).publish(topic, b"to the new connection", qos=1)
    assert new.receive(1)[0].payload == b"to the new connection"
    old.receive_none(0.2)


def test_v5_zero_length_client_id_gets_an_assigned_identifier(paho):
    """[MQTT-3.1.3-6]/[MQTT-3.2.2-16] an empty client id is accepted and the CONNACK assigns one."""
    client = paho("", connect=False)
    _, reason, properties = client.connect()
    assert reason.value == 0
    assigned = getattr(properties, "AssignedClientIdentifier", "")
    assert assigned, "CONNACK carries no Assigned Client Identifier"


def test_v311_zero_length_client_id_with_clean_session_is_accepted(paho):
    """[MQTT-3.1.3-6]/[MQTT-3.1.3-7] 3.1.1: empty client id + CleanSession=1 is accepted."""
    first = paho("", version=4)
    second = paho("", version=4)
    topic = unique_id("sessions/anon")
    first.subscribe(topic, 1)
    second.publish(topic, b"anonymous", qos=1)
    assert first.receive(1)[0].payload == b"anonymous"
