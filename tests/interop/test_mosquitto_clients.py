"""Debian's mosquitto_pub / mosquitto_sub (3.1.1 and 5.0) against the broker under test.

Each mosquitto_sub subscribes to its topics plus a `ready/...` topic holding a retained message: when that
message is printed, the subscriptions are in place. Every run has `-C` (message count) and `-W` (timeout)
so it ends by itself; WebSockets are out of scope here because these tools do not speak them.
"""

from __future__ import annotations

import contextlib
import select
import signal
import subprocess
import time

import pytest

from tests.interop.brokers import unique_id
from tests.support.tools import require_tool

pytestmark = pytest.mark.interop

PROTOCOLS = [pytest.param("mqttv311", id="v311"), pytest.param("mqttv5", id="v5")]
WITH_MQTT_31 = [pytest.param("mqttv31", id="v31"), *PROTOCOLS]
FIELDS = "%t|%q|%r|%p"


class Subscriber:
    """A running mosquitto_sub whose output lines are read with a bound."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process
        self.early: list[str] = []

    def line(self, timeout: float = 5.0) -> str:
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        assert ready, "mosquitto_sub printed nothing in time"
        text = self.process.stdout.readline()
        assert text, f"mosquitto_sub ended: {self.process.stderr.read()!r}"
        return text.rstrip("\n")

    def finish(self, timeout: float = 10.0) -> list[str]:
        """Wait for the -C count or -W timeout to end the process; its output lines but the ready marker."""
        out, _ = self.process.communicate(timeout=timeout)
        return self.early + out.splitlines()


@pytest.fixture
def mosquitto_sub(broker_under_test, paho):
    """Start mosquitto_sub on ``topics`` and return once its subscriptions are active."""
    executable = require_tool("mosquitto_sub", "mosquitto-clients")
    running: list[subprocess.Popen] = []

    def start(topics: list[str], count: int, *args: str, host: str = "127.0.0.1", fmt: str = FIELDS):
        ready = unique_id("ready")
        paho().publish(ready, b"ready", qos=1, retain=True)
        command = [
            executable,
            "-h",
            host,
            "-p",
            str(broker_under_test.port),
            "-C",
            str(count + 1),
            "-W",
            "10",
        ]
        for topic in [*topics, ready]:
            command += ["-t", topic]
        process = subprocess.Popen(
            [*command, "-F", fmt, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        running.append(process)
        subscriber = Subscriber(process)
        for _ in range(count + 1):  # retained messages of earlier topics may come before the marker
            line = subscriber.line()
            if line.startswith(ready):
                break
            subscriber.early.append(line)
        return subscriber

    yield start
    for process in running:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.communicate(timeout=5)


@pytest.fixture
def mosquitto_pub(broker_under_test):
    executable = require_tool("mosquitto_pub", "mosquitto-clients")

    def publish(*args: str, host: str = "127.0.0.1") -> None:
        command = [executable, "-h", host, "-p", str(broker_under_test.port), *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=10)
        assert result.returncode == 0, result.stderr

    return publish


def test_issue_walkthrough_hello_protocol(mosquitto_sub, mosquitto_pub):
    """The seed's walk-through with `-h localhost`: mosquitto_sub receives "Hello Protocol" [MQTT-3.3.5-1]."""
    subscriber = mosquitto_sub(["swa_news"], 1, host="localhost", fmt="%t %p")
    mosquitto_pub("-t", "swa_news", "-m", "Hello Protocol", host="localhost")
    assert subscriber.finish() == ["swa_news Hello Protocol"]
    assert subscriber.process.returncode == 0


@pytest.mark.parametrize("qos", [0, 1, 2])
@pytest.mark.parametrize("protocol", WITH_MQTT_31)
def test_publish_and_subscribe_at_each_qos(mosquitto_sub, mosquitto_pub, protocol, qos):
    """[MQTT-3.3.5-1] delivered at the published QoS when granted; [MQTT-4.3.*] each QoS flow completes."""
    topic = unique_id("cli/qos")
    subscriber = mosquitto_sub([topic], 2, "-q", str(qos), "-V", protocol)
    for number in range(2):
        mosquitto_pub("-t", topic, "-m", f"m{number}", "-q", str(qos), "-V", protocol)
    assert subscriber.finish() == [f"{topic}|{qos}|0|m0", f"{topic}|{qos}|0|m1"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_retained_message_set_delivered_and_cleared(mosquitto_sub, mosquitto_pub, protocol):
    """3.1.1 [MQTT-3.3.1-5]/[MQTT-3.3.1-6]/[MQTT-3.3.1-8]: stored and sent with RETAIN=1 to a new subscriber;
    [MQTT-3.3.1-10]: `-r -n` (empty retained) deletes it."""
    topic = unique_id("cli/retained")
    mosquitto_pub("-t", topic, "-m", "on", "-r", "-q", "1", "-V", protocol)
    first = mosquitto_sub([topic], 1, "-V", protocol)
    assert first.finish() == [f"{topic}|0|1|on"]
    mosquitto_pub("-t", topic, "-r", "-n", "-q", "1", "-V", protocol)
    second = mosquitto_sub([topic], 1, "-V", protocol, "-W", "1")
    assert second.finish() == []


def test_v5_properties_with_dash_d(mosquitto_sub, mosquitto_pub):
    """`-D publish ...` properties reach a v5 subscriber: [MQTT-3.3.2-20] content type, [MQTT-3.3.2-15]
    response topic, [MQTT-3.3.2-16] correlation data, [MQTT-3.3.2-17] user property, [MQTT-3.3.2-6] expiry."""
    topic = unique_id("cli/props")
    subscriber = mosquitto_sub([topic], 1, "-V", "mqttv5", fmt="%t|%C|%R|%D|%P|%E|%p")
    mosquitto_pub(
        *("-t", topic, "-m", "42", "-q", "1", "-V", "mqttv5"),
        *("-D", "publish", "content-type", "text/plain"),
        *("-D", "publish", "response-topic", "cli/reply"),
        *("-D", "publish", "correlation-data", "req-1"),
        *("-D", "publish", "user-property", "unit", "lx"),
        *("-D", "publish", "message-expiry-interval", "120"),
    )
    (line,) = subscriber.finish()
    fields = line.split("|")
    assert fields[:5] == [topic, "text/plain", "cli/reply", "req-1", "unit:lx"]
    assert 118 <= int(fields[5]) <= 120
    assert fields[6] == "42"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_will_sent_when_mosquitto_sub_is_killed(mosquitto_sub, paho, protocol):
    """[MQTT-3.1.2-8] a client killed with SIGKILL (no DISCONNECT): its will is published."""
    will_topic = unique_id("cli/will")
    watcher = paho()
    watcher.subscribe(will_topic, 1)
    dying = mosquitto_sub(
        [unique_id("cli/idle")],
        5,
        "-V",
        protocol,
        "--will-topic",
        will_topic,
        "--will-payload",
        "lost",
        "-k",
        "30",
    )
    dying.process.send_signal(signal.SIGKILL)
    (will,) = watcher.receive(1)
    assert (will.topic, will.payload) == (will_topic, b"lost")


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_no_will_when_mosquitto_sub_exits_normally(mosquitto_sub, paho, protocol):
    """[MQTT-3.1.2-10] mosquitto_sub ends with DISCONNECT after its -C count: no will."""
    will_topic, topic = unique_id("cli/nowill"), unique_id("cli/done")
    watcher = paho()
    watcher.subscribe(will_topic, 1)
    leaving = mosquitto_sub([topic], 1, "-V", protocol, "--will-topic", will_topic, "--will-payload", "lost")
    paho().publish(topic, b"last one", qos=1)
    assert leaving.finish() == [f"{topic}|0|0|last one"]
    time.sleep(0.3)
    watcher.receive_none(0.4)
