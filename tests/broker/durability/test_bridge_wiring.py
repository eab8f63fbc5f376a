"""A bridge configured in the broker's YAML runs inside ``perch broker`` and forwards to a real
Mosquitto (Debian package) on loopback; its state is published in ``$SYS`` on both sides."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from broker.auth.passwords import SHA512_SCHEME, PasswordFile
from tests.broker.durability.conftest import DurableBroker, write_config
from tests.broker.durability.wire import RawClient
from tests.support.brokers import mosquitto_broker

pytestmark = pytest.mark.interop

STATE_TOPIC = "$SYS/broker/connection/farm/state"


def _bridge_yaml(store: Path, upstream_port: int) -> str:
    return f"""  persistence: {{path: {store}, sync_interval: 0.05}}
  bridges:
    - name: farm
      address: 127.0.0.1:{upstream_port}
      reconnect_delay: [0.2, 1]
      topics:
        - {{pattern: "greenhouse/#", direction: out, qos: 1, remote_prefix: "farm/"}}
        - {{pattern: "cmd/#", direction: in, qos: 1, local_prefix: "perch/"}}
"""


def _wait_for(client: RawClient, wanted: tuple[str, bytes], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any((topic, payload) == wanted for topic, payload, _ in client.received):
            return
        client.pump(0.2)
    raise AssertionError(f"{wanted} never arrived; got {client.received}")


def test_a_bridge_from_the_config_forwards_both_ways_and_reports_its_state(tmp_path: Path) -> None:
    with mosquitto_broker() as mosquitto:
        config = write_config(tmp_path, _bridge_yaml(tmp_path / "store", mosquitto.port))
        perch = DurableBroker(config, tmp_path / "broker.log")
        try:
            port = perch.start()
            local = RawClient(port, "local-watcher")
            local.connect()
            local.subscribe(STATE_TOPIC, 0)
            local.subscribe("perch/cmd/#", 1)
            _wait_for(local, (STATE_TOPIC, b"1"))  # published by the broker's $SYS tick

            upstream = RawClient(mosquitto.port, "upstream-watcher")
            upstream.connect()
            upstream.subscribe("farm/#", 1)
            upstream.subscribe(STATE_TOPIC, 0)
            _wait_for(upstream, (STATE_TOPIC, b"1"))

            sensor = RawClient(port, "sensor")
            sensor.connect()
            sensor.publish("greenhouse/temp", b"21.5", 1, packet_id=1, retain=True)
            _wait_for(upstream, ("farm/greenhouse/temp", b"21.5"))

            upstream.publish("cmd/fan", b"ON", 1, packet_id=2)
            _wait_for(local, ("perch/cmd/fan", b"ON"))

            assert perch.stop() == 0, perch.log.read_text()
            _wait_for(upstream, (STATE_TOPIC, b"0"))  # the bridge said goodbye before the broker closed
            assert (tmp_path / "store-bridges" / "farm.spool").exists()
        finally:
            perch.kill()


def test_a_bridge_logs_in_locally_when_anonymous_clients_are_refused(tmp_path: Path) -> None:
    passwords = PasswordFile()
    passwords.set("bridge", "bridge-secret", scheme=SHA512_SCHEME)
    passwords.set("sensor", "sensor-secret", scheme=SHA512_SCHEME)
    passwords.save(tmp_path / "passwd")
    (tmp_path / "bridge.secret").write_text("bridge-secret\n")
    with mosquitto_broker() as mosquitto:
        bridge_yaml = _bridge_yaml(tmp_path / "store", mosquitto.port).replace(
            "      reconnect_delay:",
            f"      local_username: bridge\n      local_password_file: {tmp_path / 'bridge.secret'}\n"
            "      reconnect_delay:",
        )
        config = write_config(tmp_path, f"  password_file: {tmp_path / 'passwd'}\n" + bridge_yaml)
        config.write_text(config.read_text().replace("allow_anonymous: true", "allow_anonymous: false"))
        perch = DurableBroker(config, tmp_path / "broker.log")
        try:
            port = perch.start()
            upstream = RawClient(mosquitto.port, "upstream-watcher")
            upstream.connect()
            upstream.subscribe("farm/#", 1)
            upstream.subscribe(STATE_TOPIC, 0)
            _wait_for(upstream, (STATE_TOPIC, b"1"))
            sensor = RawClient(port, "sensor", username="sensor", password="sensor-secret")
            sensor.connect()
            # retained: arrives even if the bridge's local side subscribes a moment later
            sensor.publish("greenhouse/door", b"open", 1, packet_id=1, retain=True)
            _wait_for(upstream, ("farm/greenhouse/door", b"open"))
        finally:
            perch.kill()
