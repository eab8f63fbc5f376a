"""Logins over the wire: password files made by mosquitto_passwd, anonymous access, secure defaults."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import paho.mqtt.client as paho
import pytest

from broker.auth import PasswordFile
from broker.codec import ReasonCode, Will
from broker.config import BrokerConfig, ListenerConfig
from tests.broker.security.helpers import V5, V311, PahoClient, WireClient, running, wait_until
from tests.support.brokers import mosquitto_broker, perch_broker
from tests.support.tools import require_tool

NOT_AUTHORIZED_V311 = 5


def mosquitto_passwd(*args: str) -> None:
    subprocess.run([require_tool("mosquitto_passwd", "mosquitto"), *args], check=True, timeout=30)


def broker_yaml(tmp_path: Path, extra: str = "") -> Path:
    """A config whose listeners come from the test's --port flag; anonymous access is off by default."""
    path = tmp_path / "perch.yaml"
    path.write_text(f"broker:\n  listeners: [{{port: 0}}]\n  password_file: {tmp_path / 'passwd'}\n{extra}")
    return path


def mosquitto_pub(port: int, *credentials: str) -> subprocess.CompletedProcess[str]:
    publish = require_tool("mosquitto_pub", "mosquitto-clients")
    command = [publish, "-h", "127.0.0.1", "-p", str(port), "-t", "t", "-m", "x", "-q", "1", *credentials]
    return subprocess.run(command, capture_output=True, text=True, timeout=20)


@pytest.mark.interop
@pytest.mark.parametrize("algorithm", ["sha512-pbkdf2", "sha512"])
def test_mosquitto_passwd_files_let_their_users_in(tmp_path: Path, algorithm: str) -> None:
    passwd = tmp_path / "passwd"
    mosquitto_passwd("-c", "-H", algorithm, "-b", str(passwd), "sensor", "s3cret pass")
    with perch_broker("--config", str(broker_yaml(tmp_path)), websockets=False) as broker:
        assert mosquitto_pub(broker.port, "-u", "sensor", "-P", "s3cret pass").returncode == 0
        wrong = mosquitto_pub(broker.port, "-u", "sensor", "-P", "nope")
        assert wrong.returncode != 0 and "not authorised" in wrong.stderr.lower()
        anonymous = mosquitto_pub(broker.port)
        assert anonymous.returncode != 0 and "not authorised" in anonymous.stderr.lower()
        for version in (paho.MQTTv5, paho.MQTTv311):
            good = PahoClient(f"good-{version}", version, "sensor", "s3cret pass")
            bad = PahoClient(f"bad-{version}", version, "sensor", "wrong")
            try:
                assert not good.connect(broker.port).is_failure
                assert bad.connect(broker.port).is_failure
            finally:
                good.stop()
                bad.stop()


@pytest.mark.parametrize(("version", "code"), [(V5, ReasonCode.NOT_AUTHORIZED), (V311, NOT_AUTHORIZED_V311)])
def test_refusals_carry_not_authorized_in_each_version(tmp_path: Path, version, code) -> None:
    """[MQTT-3.2.2-6] a refusing CONNACK is followed by closing the connection."""
    passwd = tmp_path / "passwd"
    passwd.write_text("")
    users = PasswordFile.load(passwd)
    users.set("admin", "pw")
    users.save(passwd)
    config = BrokerConfig(
        listeners=[ListenerConfig(port=0)], allow_anonymous=False, password_file=str(passwd)
    )
    with running(config) as broker:
        for username, password in ((None, None), ("admin", b"bad"), ("ghost", b"pw")):
            client = WireClient(broker.ports["mqtt"], version)
            assert client.connect("c", username, password).reason_code == code
            assert client.is_closed()
            client.close()
        client = WireClient(broker.ports["mqtt"], version)
        assert client.connect("c", "admin", b"pw").reason_code == 0
        client.close()


def test_allow_anonymous_per_listener_wins_over_the_global_setting(tmp_path: Path) -> None:
    config = BrokerConfig.from_mapping(
        {"listeners": [{"port": 0}, {"port": 0, "websockets": True, "allow_anonymous": True}]}
    )
    assert config.allow_anonymous is False  # secure default once listeners are configured
    with running(config) as broker:
        closed = WireClient(broker.ports["mqtt"], V5)
        assert closed.connect("anon").reason_code == ReasonCode.NOT_AUTHORIZED
        closed.close()
        # The WebSocket listener admits anonymous clients: paho over websockets.
        client = paho.Client(
            paho.CallbackAPIVersion.VERSION2, "ws-anon", protocol=paho.MQTTv5, transport="websockets"
        )
        results = []
        client.on_connect = lambda c, u, f, reason, p: results.append(reason)
        client.connect("127.0.0.1", broker.ports["ws"])
        client.loop_start()
        try:
            assert wait_until(lambda: results)
            assert not results[0].is_failure
        finally:
            client.disconnect()
            client.loop_stop()


def test_a_will_the_acl_does_not_allow_refuses_the_connection(tmp_path: Path) -> None:
    acl = tmp_path / "acl"
    acl.write_text("topic readwrite open/#\n")
    config = BrokerConfig(listeners=[ListenerConfig(port=0)], acl_file=str(acl))
    with running(config) as broker:
        for version, code in ((V5, ReasonCode.NOT_AUTHORIZED), (V311, NOT_AUTHORIZED_V311)):
            client = WireClient(broker.ports["mqtt"], version)
            assert client.connect("w", will=Will("closed/will", b"x")).reason_code == code
            client.close()
            client = WireClient(broker.ports["mqtt"], version)
            assert client.connect("w", will=Will("open/will", b"x")).reason_code == 0
            client.close()


def test_sighup_reloads_the_password_file(tmp_path: Path) -> None:
    passwd = tmp_path / "passwd"
    mosquitto_passwd("-c", "-b", str(passwd), "first", "one")
    with perch_broker("--config", str(broker_yaml(tmp_path)), websockets=False) as broker:
        assert mosquitto_pub(broker.port, "-u", "second", "-P", "two").returncode != 0
        mosquitto_passwd("-b", str(passwd), "second", "two")
        broker.process.send_signal(signal.SIGHUP)
        assert wait_until(lambda: mosquitto_pub(broker.port, "-u", "second", "-P", "two").returncode == 0)
        assert mosquitto_pub(broker.port, "-u", "first", "-P", "one").returncode == 0


@pytest.mark.interop
def test_mosquitto_accepts_the_will_perch_refuses(tmp_path: Path) -> None:
    """The documented difference: Mosquitto 2 lets in a client whose will topic the ACL denies."""
    acl = tmp_path / "acl"
    acl.write_text("topic readwrite open/#\n")
    acl.chmod(0o644)
    tmp_path.chmod(0o755)
    run_as = "user root\n" if os.geteuid() == 0 else ""
    with mosquitto_broker(extra_config=f"{run_as}acl_file {acl}\n") as mosquitto:
        client = WireClient(mosquitto.port, V5)
        assert client.connect("w", will=Will("closed/will", b"x")).reason_code == 0
        client.close()
