"""The bridge against a real Mosquitto (upstream) and Perch's own broker (local), on loopback."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from broker.bridge import Bridge, BridgeConfig
from broker.tls.certs import create_node_certificates
from tests.broker.bridge.conftest import Upstream, wait_until
from tests.support.brokers import free_port, perch_broker, wait_for_port
from tests.support.tools import require_tool

pytestmark = pytest.mark.interop


def _config(port: int, topics: list[dict], **extra: object) -> BridgeConfig:
    data = {"name": "uplink", "address": f"127.0.0.1:{port}", "topics": topics, "reconnect_delay": [0.1, 0.5]}
    return BridgeConfig.from_mapping({**data, **extra})


@pytest.fixture(scope="module")
def perch_port() -> Iterator[int]:
    with perch_broker(websockets=False) as broker:
        yield broker.port


@contextlib.contextmanager
def running(config: BridgeConfig, perch_port: int, state_dir: Path, ready: bool = True) -> Iterator[Bridge]:
    bridge = Bridge(config, "127.0.0.1", perch_port, state_dir)
    bridge.start()
    try:
        if ready:
            assert bridge.wait_ready(10), "bridge did not connect and subscribe on both sides"
        yield bridge
    finally:
        bridge.stop()


def test_out_with_prefixes_keeps_qos_and_retain(
    upstream: Upstream, perch_port: int, tmp_path: Path, collectors
) -> None:
    rule = {
        "pattern": "greenhouse/#",
        "direction": "out",
        "qos": 1,
        "local_prefix": "perch/",
        "remote_prefix": "farm/",
    }
    remote = collectors(upstream.port, "farm/#")
    local = collectors(perch_port)
    with running(_config(upstream.port, [rule]), perch_port, tmp_path):
        local.publish("perch/greenhouse/climate/temperature", b"21.4", qos=1, retain=True)
        local.publish("perch/cellar/climate/temperature", b"12.0", qos=1)  # not bridged
        assert wait_until(lambda: remote.received)
    # a live subscriber sees RETAIN 0 [MQTT-3.3.1-9]; the bridge kept it retained upstream:
    assert remote.received == [("farm/greenhouse/climate/temperature", b"21.4", False)]
    late = collectors(upstream.port, "farm/#")  # the retained reading is now upstream's
    assert wait_until(lambda: late.received)
    assert late.received == [("farm/greenhouse/climate/temperature", b"21.4", True)]


def test_in_with_prefixes(upstream: Upstream, perch_port: int, tmp_path: Path, collectors) -> None:
    rule = {
        "pattern": "+/set",
        "direction": "in",
        "qos": 1,
        "local_prefix": "perch/greenhouse/fan/",
        "remote_prefix": "cmd/",
    }
    local = collectors(perch_port, "perch/greenhouse/fan/#")
    remote = collectors(upstream.port)
    with running(_config(upstream.port, [rule]), perch_port, tmp_path):
        remote.publish("cmd/speed/set", b"3")
        remote.publish("other/speed/set", b"9")
        assert wait_until(lambda: local.received)
    assert local.received == [("perch/greenhouse/fan/speed/set", b"3", False)]


def test_both_directions_without_loops(
    upstream: Upstream, perch_port: int, tmp_path: Path, collectors
) -> None:
    rule = {"pattern": "sync/#", "direction": "both", "qos": 1}
    local = collectors(perch_port, "sync/#")
    remote = collectors(upstream.port, "sync/#")
    with running(_config(upstream.port, [rule]), perch_port, tmp_path) as bridge:
        local.publish("sync/from-local", b"L")
        remote.publish("sync/from-remote", b"R")
        assert wait_until(lambda: len(local.received) >= 2 and len(remote.received) >= 2)
        assert wait_until(lambda: bridge.spooled == 0)
        wait_until(lambda: False, timeout=0.5)  # room for an echo to show up, were there one
    assert sorted(local.topics()) == ["sync/from-local", "sync/from-remote"]
    assert sorted(remote.topics()) == ["sync/from-local", "sync/from-remote"]
    assert bridge.stats.forwarded_out == 1 and bridge.stats.forwarded_in == 1


def test_credentials_from_a_password_file(tmp_path: Path, perch_port: int, collectors) -> None:
    passwd = tmp_path / "passwd"
    tool = require_tool("mosquitto_passwd", "mosquitto")
    subprocess.run([tool, "-b", "-c", str(passwd), "bridge", "s3cret"], check=True, capture_output=True)
    passwd.chmod(0o600)
    # Mosquitto started as root drops to user "mosquitto", which cannot read pytest's private temp dirs.
    upstream = Upstream(tmp_path, f"allow_anonymous false\npassword_file {passwd}")
    upstream.start()
    secret = tmp_path / "bridge.secret"
    secret.write_text("s3cret\n")
    rule = {"pattern": "t/#", "direction": "out", "qos": 1}
    try:
        remote = collectors(upstream.port, "t/#", username="bridge", password="s3cret")
        local = collectors(perch_port)
        config = _config(upstream.port, [rule], username="bridge", password_file=str(secret))
        with running(config, perch_port, tmp_path / "good"):
            local.publish("t/x", b"1")
            assert wait_until(lambda: remote.received)
        wrong = _config(upstream.port, [rule], username="bridge", password="nope")
        with running(wrong, perch_port, tmp_path / "bad", ready=False) as bridge:
            assert not bridge.wait_ready(1.5)
            assert not bridge.is_connected
    finally:
        upstream.stop()


def test_state_is_published_upstream(upstream: Upstream, perch_port: int, tmp_path: Path, collectors) -> None:
    watcher = collectors(upstream.port, "$SYS/broker/connection/uplink/state")
    with running(_config(upstream.port, [{"pattern": "t/#"}]), perch_port, tmp_path) as bridge:
        assert wait_until(lambda: watcher.payloads() == [b"1"])
        assert bridge.is_connected
    assert wait_until(lambda: watcher.payloads() == [b"1", b"0"])


def test_an_outage_in_the_middle_loses_nothing_and_keeps_order(
    upstream: Upstream, perch_port: int, tmp_path: Path, collectors
) -> None:
    rule = {"pattern": "outage/#", "direction": "out", "qos": 1}
    local = collectors(perch_port)
    # a persistent session at the persistent Mosquitto: it receives what arrives before it reconnects
    remote = collectors(upstream.port, "outage/#", client_id="watcher")
    with running(_config(upstream.port, [rule]), perch_port, tmp_path) as bridge:
        local.publish("outage/n", b"before")
        assert wait_until(lambda: remote.payloads() == [b"before"])
        upstream.stop()
        assert wait_until(lambda: not bridge.is_connected)
        for number in range(200):
            local.publish("outage/n", b"%d" % number)  # each PUBACKed by Perch: spooled on disk
        assert wait_until(lambda: bridge.spooled == 200)
        upstream.start()
        assert wait_until(lambda: bridge.spooled == 0, timeout=20)
        assert wait_until(lambda: len(remote.payloads()) >= 201)
    assert remote.payloads() == [b"before"] + [b"%d" % n for n in range(200)]


def test_spooled_messages_survive_a_bridge_restart(tmp_path: Path, perch_port: int, collectors) -> None:
    upstream = Upstream(tmp_path)  # not started: the uplink is down
    rule = {"pattern": "spool/#", "direction": "out", "qos": 1}
    config = _config(upstream.port, [rule])
    local = collectors(perch_port)
    try:
        bridge = Bridge(config, "127.0.0.1", perch_port, tmp_path / "state")
        bridge.start()
        assert wait_until(lambda: bridge._local_ready.is_set())
        for number in range(50):
            local.publish("spool/n", b"%d" % number)
        assert wait_until(lambda: bridge.spooled == 50)
        bridge.stop()
        upstream.start()
        remote = collectors(upstream.port, "spool/#")
        with running(config, perch_port, tmp_path / "state") as restarted:
            assert wait_until(lambda: len(remote.payloads()) >= 50)
            assert wait_until(lambda: restarted.spooled == 0)
        assert remote.payloads() == [b"%d" % n for n in range(50)]
    finally:
        upstream.stop()


def test_tls_to_upstream_with_the_node_ca(tmp_path: Path, perch_port: int, collectors) -> None:
    certs = create_node_certificates("upstream", tmp_path / "tls", addresses=["127.0.0.1"])
    stranger = create_node_certificates("stranger", tmp_path / "other", addresses=["127.0.0.1"])
    tls_port = free_port()
    extra = (
        f"allow_anonymous true\nlistener {tls_port} 127.0.0.1\nallow_anonymous true\n"
        f"cafile {certs.ca_certificate}\ncertfile {certs.server_certificate}\nkeyfile {certs.server_key}\n"
    )
    upstream = Upstream(tmp_path, extra)
    upstream.start()
    wait_for_port("127.0.0.1", tls_port)
    rule = {"pattern": "tls/#", "direction": "out", "qos": 1}
    try:
        remote = collectors(upstream.port, "tls/#")
        local = collectors(perch_port)
        config = _config(tls_port, [rule], tls={"ca_certs": str(certs.ca_certificate)})
        with running(config, perch_port, tmp_path / "state"):
            local.publish("tls/reading", b"7")
            assert wait_until(lambda: remote.received)
        assert remote.received == [("tls/reading", b"7", False)]
        untrusted = _config(tls_port, [rule], tls={"ca_certs": str(stranger.ca_certificate)})
        with running(untrusted, perch_port, tmp_path / "other-state", ready=False) as bridge:
            assert not bridge.wait_ready(1.5)  # a server its CA did not sign is refused
    finally:
        upstream.stop()
