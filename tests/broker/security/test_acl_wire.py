"""A user the ACL refuses cannot read or write a topic through any wildcard, will, retained message or
shared subscription (paho-mqtt, MQTT 5 and 3.1.1)."""

from __future__ import annotations

from pathlib import Path

import paho.mqtt.client as paho
import pytest

from broker.auth import PasswordFile
from broker.codec import Publish, PubRec
from broker.config import BrokerConfig, ListenerConfig
from tests.broker.security.helpers import V5, PahoClient, WireClient, paho_clients, running

NOT_AUTHORIZED_V5, FAILURE_V311 = 0x87, 0x80
ACL = """\
user admin
topic readwrite #

user spy
topic readwrite public/#
pattern readwrite own/%u/#
"""
# Filters that would reach secret/... : [MQTT-3.9.3-1] a SUBACK failure code per refused filter.
SNEAKY_FILTERS = ["#", "+/a", "secret/#", "+/+", "$share/g/#", "$share/g/secret/a", "own/admin/#"]


@pytest.fixture
def broker(tmp_path: Path):
    users = PasswordFile(tmp_path / "passwd")
    users.set("admin", "adminpw")
    users.set("spy", "spypw")
    users.save()
    (tmp_path / "acl").write_text(ACL)
    config = BrokerConfig(
        listeners=[ListenerConfig(port=0)],
        allow_anonymous=False,
        password_file=str(tmp_path / "passwd"),
        acl_file=str(tmp_path / "acl"),
    )
    with running(config) as running_broker:
        yield running_broker.ports["mqtt"]


@pytest.mark.parametrize("version", [paho.MQTTv5, paho.MQTTv311])
def test_a_refused_reader_sees_nothing_through_wildcards_retained_or_shared(
    broker: int, version: int
) -> None:
    with paho_clients() as made:
        admin = PahoClient(f"admin-{version}", version, "admin", "adminpw")
        made.append(admin)
        assert not admin.connect(broker).is_failure
        admin.publish("secret/a", b"retained secret", retain=True)
        admin.publish("public/a", b"retained public", retain=True)
        spy = PahoClient(f"spy-{version}", version, "spy", "spypw")
        made.append(spy)
        assert not spy.connect(broker).is_failure
        codes = [code.value for code in spy.subscribe(*SNEAKY_FILTERS, "public/#")]
        refused = NOT_AUTHORIZED_V5 if version == paho.MQTTv5 else FAILURE_V311
        assert codes == [refused] * len(SNEAKY_FILTERS) + [1]
        admin.publish("secret/a", b"live secret")
        admin.publish("own/admin/x", b"admin's own")
        admin.publish("public/b", b"live public")
        assert spy.received() == [("public/a", b"retained public"), ("public/b", b"live public")]


@pytest.mark.parametrize("version", [paho.MQTTv5, paho.MQTTv311])
def test_a_refused_writer_reaches_nobody(broker: int, version: int) -> None:
    with paho_clients() as made:
        admin = PahoClient(f"admin-{version}", version, "admin", "adminpw")
        made.append(admin)
        assert not admin.connect(broker).is_failure
        admin.subscribe("#")
        spy = PahoClient(f"spy-{version}", version, "spy", "spypw")
        made.append(spy)
        assert not spy.connect(broker).is_failure
        ack = spy.publish("secret/x", b"qos1", qos=1)
        # MQTT 5 tells the publisher (PUBACK 0x87); 3.1.1 has no code, so a plain PUBACK, as Mosquitto.
        expected = NOT_AUTHORIZED_V5 if version == paho.MQTTv5 else 0
        assert ack.value == expected
        spy.publish("secret/y", b"qos0", qos=0)
        spy.publish("secret/z", b"retained", qos=1, retain=True)
        spy.publish("own/spy/note", b"allowed by %u", qos=1)
        assert admin.received() == [("own/spy/note", b"allowed by %u")]
        late = PahoClient(f"late-{version}", version, "admin", "adminpw")
        made.append(late)
        assert not late.connect(broker).is_failure
        late.subscribe("secret/#")
        assert late.received() == []  # no retained message was stored for the refused writer


@pytest.mark.parametrize("version", [paho.MQTTv5, paho.MQTTv311])
def test_a_will_on_a_refused_topic_is_refused_at_connect(broker: int, version: int) -> None:
    with paho_clients() as made:
        spy = PahoClient(f"spy-will-{version}", version, "spy", "spypw")
        made.append(spy)
        assert spy.connect(broker, will=("secret/will", b"gone")).is_failure
        allowed = PahoClient(f"spy-ok-{version}", version, "spy", "spypw")
        made.append(allowed)
        assert not allowed.connect(broker, will=("public/will", b"gone")).is_failure


def test_refused_qos2_gets_pubrec_not_authorized_and_is_never_delivered(broker: int) -> None:
    """[MQTT-3.3.4-1] a QoS 2 PUBLISH is answered with PUBREC; MQTT 5 carries the refusal (0x87) in it."""
    with paho_clients() as made:
        admin = PahoClient("admin-qos2", paho.MQTTv5, "admin", "adminpw")
        made.append(admin)
        assert not admin.connect(broker).is_failure
        admin.subscribe("#")
        spy = WireClient(broker, V5)
        assert spy.connect("spy-qos2", "spy", b"spypw").reason_code == 0
        spy.send(Publish(topic="secret/q2", payload=b"no", qos=2, packet_id=7))
        answer = spy.read()
        assert isinstance(answer, PubRec) and (answer.packet_id, answer.reason_code) == (7, NOT_AUTHORIZED_V5)
        spy.close()
        assert admin.received() == []
