import ipaddress
import socket

from agents.demo import choose_port, lan_address, phone_instructions


def test_a_taken_port_falls_back_to_a_free_one_and_says_so():
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        port, note = choose_port(busy)
    assert port != busy and port > 0
    assert note == f"port {busy} is taken (another broker?), so the demo broker uses port {port}"


def test_a_free_port_is_kept():
    with socket.socket() as probe:
        probe.bind(("0.0.0.0", 0))
        free = probe.getsockname()[1]
    assert choose_port(free) == (free, "")


def test_port_zero_means_any_free_port():
    port, note = choose_port(0)
    assert port > 0 and note == ""


def test_phone_instructions_name_address_port_and_topics():
    text = phone_instructions("192.168.1.23", 1883, "perch/demo")
    assert "broker 192.168.1.23, port 1883" in text
    assert "perch/demo/climate/temperature" in text
    assert "perch/demo/fan/set" in text


def test_lan_address_is_an_ipv4_address():
    assert ipaddress.ip_address(lan_address()).version == 4
