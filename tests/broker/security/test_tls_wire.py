"""TLS listeners: mosquitto_sub --cafile, MQTT.js over WSS, client certificates as usernames."""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
from pathlib import Path

import paho.mqtt.client as paho
import pytest

from broker.codec import ReasonCode
from broker.config import BrokerConfig, ListenerConfig, TlsConfig
from broker.tls.certs import NodeCertificates, create_node_certificates
from broker.tls.clients import create_client_certificate
from tests.broker.security.helpers import V5, PahoClient, WireClient, paho_clients, running
from tests.support.brokers import REPO_ROOT, _read_listening_lines
from tests.support.tools import require_tool


@pytest.fixture
def node(tmp_path: Path) -> NodeCertificates:
    return create_node_certificates(
        "testnode", tmp_path / "tls", hostnames=["localhost"], addresses=["127.0.0.1"]
    )


def start_tls_broker(node: NodeCertificates):
    """``perch broker`` with the TLS quick flags: mqtt, mqtts and wss listeners on 127.0.0.1 port 0."""
    command = [sys.executable, "-m", "perch", "broker", "--bind", "127.0.0.1", "--port", "0",
               "--tls-port", "0", "--wss-port", "0", "--certfile", str(node.server_certificate),
               "--keyfile", str(node.server_key)]  # fmt: skip
    process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True, bufsize=1)
    return _read_listening_lines(process, {"mqtt", "mqtts", "wss"}, timeout=15)


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=20)


@pytest.mark.interop
def test_mosquitto_clients_over_tls_with_the_node_ca(node: NodeCertificates) -> None:
    subscribe = require_tool("mosquitto_sub", "mosquitto-clients")
    publish = require_tool("mosquitto_pub", "mosquitto-clients")
    broker = start_tls_broker(node)
    try:
        port, ca = str(broker.ports["mqtts"]), str(node.ca_certificate)
        sent = _run(
            publish, "-h", "localhost", "-p", port, "--cafile", ca, "-t", "tls/t", "-m", "hello", "-r"
        )
        assert sent.returncode == 0, sent.stderr
        read = _run(
            subscribe, "-h", "localhost", "-p", port, "--cafile", ca, "-t", "tls/t", "-C", "1", "-W", "10"
        )
        assert read.stdout.strip() == "hello", read.stderr
        other_ca = create_node_certificates("other", node.ca_key.parent.parent / "other").ca_certificate
        refused = _run(
            subscribe, "-h", "localhost", "-p", port, "--cafile", str(other_ca), "-t", "x", "-W", "5"
        )
        assert refused.returncode != 0
    finally:
        broker.stop()


@pytest.mark.interop
def test_mqtt_js_over_wss(node: NodeCertificates) -> None:
    node_js = require_tool("node", "nodejs")
    if not (REPO_ROOT / "tests/interop/js/node_modules/mqtt").is_dir():
        pytest.fail("tests/interop/js/node_modules/mqtt is missing: run scripts/test (npm ci)")
    broker = start_tls_broker(node)
    try:
        url = f"wss://localhost:{broker.ports['wss']}/mqtt"
        script = Path(__file__).parent / "js" / "wss_roundtrip.js"
        run = subprocess.run(
            [node_js, str(script), str(REPO_ROOT), url, str(node.ca_certificate), "js/wss"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        result = json.loads(run.stdout)
        assert result == {"connected": True, "received": ["over wss"], "error": None}, run.stderr
    finally:
        broker.stop()


def test_tls_is_1_2_or_newer(node: NodeCertificates) -> None:
    config = BrokerConfig(listeners=[ListenerConfig(port=0, tls=_tls(node))])
    with running(config) as broker:
        context = ssl.create_default_context(cafile=str(node.ca_certificate))
        client = WireClient(broker.ports["mqtts"], V5, context)
        assert client.sock.version() in ("TLSv1.2", "TLSv1.3")
        assert client.connect("tls").reason_code == 0
        client.close()


def _tls(node: NodeCertificates, **options: object) -> TlsConfig:
    return TlsConfig(str(node.server_certificate), str(node.server_key), str(node.ca_certificate), **options)


def test_client_certificates_name_the_user(node: NodeCertificates, tmp_path: Path) -> None:
    """``require_certificate`` + ``use_identity_as_username``: the CN picks the ACL section; a CONNECT
    username is ignored, and a client without a certificate never gets past the handshake."""
    anna = create_client_certificate(node.ca_key.parent, "phone-anna")
    (tmp_path / "acl").write_text("user phone-anna\ntopic readwrite anna/#\nuser admin\ntopic readwrite #\n")
    tls = _tls(node, require_certificate=True, use_identity_as_username=True)
    config = BrokerConfig(
        listeners=[ListenerConfig(port=0, tls=tls)], allow_anonymous=False, acl_file=str(tmp_path / "acl")
    )
    with running(config) as broker, paho_clients() as made:
        port = broker.ports["mqtts"]
        client = PahoClient("anna", paho.MQTTv5, username="admin", password="ignored")
        made.append(client)
        client.client.tls_set(str(node.ca_certificate), str(anna.certificate), str(anna.key))
        assert not client.connect(port).is_failure
        codes = [code.value for code in client.subscribe("anna/#", "#")]
        assert codes == [1, ReasonCode.NOT_AUTHORIZED]
        client.publish("anna/x", b"mine")
        assert client.received() == [("anna/x", b"mine")]
        bare = ssl.create_default_context(cafile=str(node.ca_certificate))
        try:
            anonymous = WireClient(port, V5, bare)
            answer = anonymous.connect("no-cert")  # TLS 1.3 reports the missing certificate on first use
        except (ssl.SSLError, OSError):
            answer = None
        assert answer is None
