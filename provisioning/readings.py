"""Run ON the node (``/opt/perch/bin/python -m provisioning.readings``): print the node's latest readings.

Readings are retained, so subscribing to ``{prefix}/{node}/#`` returns the latest of each at once. Uses
the agents' own broker settings from the appliance config (root can read their password file).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

QUIET_SECONDS = 0.5
MAX_SECONDS = 3.0


def latest_readings(config_path: Path) -> dict[str, str]:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from agents.config.loader import load_config
    from agents.publish.client import configure_client

    config = load_config(config_path)
    readings: dict[str, str] = {}
    last_message = [time.monotonic()]
    connected = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="perch-provision-status")
    configure_client(client, config.mqtt)

    def on_connect(client: mqtt.Client, *_: object) -> None:
        client.subscribe(f"{config.base_topic}/#")
        connected.set()

    def on_message(_client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        if message.retain:
            readings[message.topic] = message.payload.decode("utf-8", "replace")
            last_message[0] = time.monotonic()

    client.on_connect, client.on_message = on_connect, on_message
    host = "localhost" if config.mqtt.host in ("0.0.0.0", "") else config.mqtt.host
    client.connect(host, config.mqtt.port, keepalive=10)
    client.loop_start()
    try:
        deadline = time.monotonic() + MAX_SECONDS
        connected.wait(MAX_SECONDS)
        last_message[0] = time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - last_message[0] < QUIET_SECONDS:
            time.sleep(0.05)
    finally:
        client.loop_stop()
        client.disconnect()
    return readings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m provisioning.readings")
    parser.add_argument("--config", type=Path, default=Path("/etc/perch/perch.yaml"))
    args = parser.parse_args(argv)
    try:
        readings = latest_readings(args.config)
    except (OSError, ValueError) as error:
        print(f"readings unavailable: {error}")
        return 1
    for topic in sorted(readings):
        print(f"{topic} {readings[topic]}")
    if not readings:
        print("no readings yet")
    return 0


if __name__ == "__main__":
    sys.exit(main())
