"""Bridge config: defaults, Mosquitto-style topic mapping, and errors that name the YAML path."""

from __future__ import annotations

from pathlib import Path

import pytest

from broker.bridge import BridgeConfig, BridgeConfigError, bridges_from_mapping

MINIMAL = {"name": "cloud", "address": "mqtt.example.net:8883", "topics": [{"pattern": "perch/#"}]}


def test_defaults_follow_mosquitto() -> None:
    config = BridgeConfig.from_mapping(MINIMAL)
    assert (config.host, config.port) == ("mqtt.example.net", 8883)
    rule = config.topics[0]
    assert (rule.direction, rule.qos, rule.local_prefix, rule.remote_prefix) == ("out", 0, "", "")
    assert (config.keepalive, config.cleansession, config.remote_client_id) == (
        60,
        False,
        "perch-bridge-cloud",
    )
    assert config.state_topic == "$SYS/broker/connection/cloud/state"


@pytest.mark.parametrize(
    ("address", "host", "port"),
    [("broker", "broker", 1883), ("[::1]:1884", "::1", 1884), ("10.0.0.2:1", "10.0.0.2", 1)],
)
def test_addresses(address: str, host: str, port: int) -> None:
    config = BridgeConfig.from_mapping({**MINIMAL, "address": address})
    assert (config.host, config.port) == (host, port)


def test_rules_map_topics_with_prefixes() -> None:
    topics = [
        {"pattern": "greenhouse/#", "direction": "out", "local_prefix": "perch/", "remote_prefix": "farm/"},
        {"pattern": "+/set", "direction": "in", "local_prefix": "perch/fan/", "remote_prefix": "cmd/"},
    ]
    config = BridgeConfig.from_mapping({**MINIMAL, "topics": topics})
    assert config.rule_for_local("perch/greenhouse/t") is config.topics[0]
    assert config.rule_for_local("perch/cellar/t") is None
    assert config.rule_for_local("perch/fan/speed/set") is None  # an "in" rule never sends out
    assert config.rule_for_remote("cmd/speed/set") is config.topics[1]
    assert config.topics[0].remote_filter == "farm/greenhouse/#"


def test_password_file_first_line(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cret word\nignored\n")
    config = BridgeConfig.from_mapping({**MINIMAL, "username": "u", "password_file": str(secret)})
    assert config.read_password() == "s3cret word"
    missing = BridgeConfig.from_mapping({**MINIMAL, "password_file": str(tmp_path / "absent")})
    with pytest.raises(BridgeConfigError, match="password_file"):
        missing.read_password()


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        ({"adress": "x"}, "bridges[0].adress", "did you mean 'address'"),
        ({"address": "host:99999"}, "bridges[0].address", "out of range"),
        ({"address": "a:b:c"}, "bridges[0].address", "host:port"),
        ({"name": "bad/name"}, "bridges[0].name", "letters"),
        ({"topics": []}, "bridges[0].topics", "at least one"),
        ({"topics": [{"pattern": "a/#/b"}]}, "bridges[0].topics[0].pattern", "not a topic filter"),
        ({"topics": [{"direction": "sideways"}]}, "bridges[0].topics[0].direction", "out, in or both"),
        ({"topics": [{"qos": 3}]}, "bridges[0].topics[0].qos", "0, 1 or 2"),
        ({"topics": [{"qos": True}]}, "bridges[0].topics[0].qos", "whole number"),
        ({"topics": [{"local_prefix": "a/+/"}]}, "bridges[0].topics[0].local_prefix", "wildcards"),
        ({"password": "a", "password_file": "b"}, "bridges[0].password_file", "not both"),
        ({"tls": {"certfile": "c.pem"}}, "bridges[0].tls", "go together"),
        ({"keepalive": 2}, "bridges[0].keepalive", "5..65535"),
        ({"reconnect_delay": [5, 1]}, "bridges[0].reconnect_delay", "first, longest"),
    ],
)
def test_errors_name_the_path(change: dict, path: str, words: str) -> None:
    with pytest.raises(BridgeConfigError) as caught:
        BridgeConfig.from_mapping({**MINIMAL, **change})
    assert caught.value.path == path
    assert words in str(caught.value)


def test_missing_required_keys_and_duplicate_names() -> None:
    with pytest.raises(BridgeConfigError, match=r"bridges\[0\]\.address: required"):
        BridgeConfig.from_mapping({"name": "x", "topics": [{}]})
    with pytest.raises(BridgeConfigError, match=r"broker\.bridges\[1\]\.name: 'cloud' is used twice"):
        bridges_from_mapping([MINIMAL, MINIMAL])
    assert bridges_from_mapping(None) == []
