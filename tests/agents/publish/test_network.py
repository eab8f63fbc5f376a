"""NetworkLoop: one thread runs paho and the sender; a Waker wakes it; corked writes; stop disconnects."""

from __future__ import annotations

import select
import socket
import threading

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from agents.publish.network import NetworkLoop, Waker, cork
from tests.agents.fakes import Recorder, wait_until


def readable(waker: Waker, timeout: float = 0.0) -> bool:
    return bool(select.select([waker], [], [], timeout)[0])


def test_a_waker_wakes_a_select_once_however_often_it_is_set():
    waker = Waker()
    try:
        assert not readable(waker) and not waker.is_set()
        waker.set()
        waker.set()
        assert readable(waker) and waker.is_set()
        waker.clear()
        assert not readable(waker), "one clear() takes back every set() before it"
        assert not waker.is_set()
        waker.set()
        assert readable(waker), "a set() after a clear() wakes again"
    finally:
        waker.close()


def test_a_waker_set_from_another_thread_ends_a_waiting_select():
    waker = Waker()
    setter = threading.Timer(0.05, waker.set)
    setter.start()
    try:
        assert readable(waker, timeout=10.0)
    finally:
        setter.join()
        waker.close()


def test_cork_holds_a_tcp_socket_and_ignores_what_cannot_be_corked():
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname())
        try:
            cork(client, True)
            assert client.getsockopt(socket.IPPROTO_TCP, socket.TCP_CORK) == 1
            cork(client, False)
            assert client.getsockopt(socket.IPPROTO_TCP, socket.TCP_CORK) == 0
        finally:
            client.close()
        cork(client, True)  # closed: no error
    left, right = socket.socketpair()
    with left, right:
        cork(left, True)  # a Unix socket has no cork: no error
    cork(object(), True)


def test_reconnect_delays_double_from_the_minimum_up_to_the_maximum():
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="delays")
    loop = NetworkLoop(client, lambda: None, (1, 30), name="test-delays")
    try:
        assert [loop._delay(failures) for failures in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]
    finally:
        loop.waker.close()


def test_work_runs_in_the_loop_thread_and_stop_disconnects_cleanly(perch):
    """Publishes from ``work`` and from another thread arrive; stop() sends DISCONNECT, so the broker
    discards the Last Will [MQTT-3.1.2-10] and the thread ends with the socket closed."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="loop-test")
    client.will_set("t/will", b"gone", qos=1)
    threads: list[str] = []
    due = threading.Event()

    def work() -> None:
        if due.is_set() and client.is_connected():
            due.clear()
            threads.append(threading.current_thread().name)
            for index in range(3):
                client.publish("t/data", f"work {index}", qos=1)

    loop = NetworkLoop(client, work, (1, 30), name="test-network")
    with Recorder(perch.port, "t/#") as live:
        client.connect_async("127.0.0.1", perch.port, 60)
        loop.start()
        wait_until(client.is_connected, what="connected")
        due.set()
        loop.waker.set()
        wait_until(lambda: len(live.payloads("t/data")) >= 3, what="work's publishes")
        client.publish("t/data", "other thread", qos=1)
        wait_until(lambda: len(live.payloads("t/data")) >= 4, what="another thread's publish")
        loop.stop()
        assert not loop._thread.is_alive()
        assert client.socket() is None
        marker = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="marker")
        marker.connect("127.0.0.1", perch.port)
        marker.loop_start()
        marker.publish("t/marker", b"after stop", qos=1).wait_for_publish(timeout=10)
        marker.disconnect()
        marker.loop_stop()
        wait_until(lambda: live.payloads("t/marker"), what="the marker")
        assert live.payloads("t/data") == ["work 0", "work 1", "work 2", "other thread"]
        assert threads == ["test-network"]
        assert live.payloads("t/will") == []


def test_a_failing_work_call_is_logged_and_the_loop_carries_on(perch, caplog):
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="loop-survives")
    calls = {"failed": 0, "published": 0}

    def work() -> None:
        if not client.is_connected() or calls["published"]:
            return
        if not calls["failed"]:
            calls["failed"] += 1
            raise RuntimeError("a bug in work()")
        client.publish("t/after", b"still here", qos=1)
        calls["published"] += 1

    loop = NetworkLoop(client, work, (0.05, 0.1), name="test-survives")
    with Recorder(perch.port, "t/after") as live:
        client.connect_async("127.0.0.1", perch.port, 60)
        loop.start()
        try:
            wait_until(lambda: live.payloads("t/after"), what="a publish after the failure")
        finally:
            loop.stop()
    assert calls == {"failed": 1, "published": 1}
    assert "a bug in work()" in caplog.text
