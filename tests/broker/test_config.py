"""The broker: section: defaults, validation with YAML paths, did-you-mean, file positions."""

from __future__ import annotations

import pytest

from broker.config import BrokerConfig, ConfigError, load_config_file


def test_defaults_listen_on_loopback_1883_with_anonymous_access():
    config = BrokerConfig.from_mapping(None)
    [listener] = config.listeners
    assert (listener.bind, listener.port, listener.websockets) == ("127.0.0.1", 1883, False)
    assert config.allow_anonymous is True


def test_the_design_example_is_accepted():
    config = BrokerConfig.from_mapping(
        {
            "listeners": [
                {"port": 1883},
                {"port": 8883, "tls": {"certfile": "/etc/perch/tls/server.crt", "keyfile": "/k"}},
                {"port": 9001, "websockets": True},
            ],
            "allow_anonymous": False,
            "password_file": "/etc/perch/passwd",
            "acl_file": "/etc/perch/acl",
            "persistence": {"path": "/var/lib/perch/broker.db"},
            "bridges": [],
            "max_keepalive": 120,
        }
    )
    assert [listener.scheme for listener in config.listeners] == ["mqtt", "mqtts", "ws"]
    assert config.protocol_limits().max_keepalive == 120


@pytest.mark.parametrize(
    ("data", "path", "words"),
    [
        ({"listners": []}, "broker.listners", "did you mean 'listeners'"),
        ({"listeners": [{"port": 1}, {"port": 70000}]}, "broker.listeners[1].port", "0 to 65535"),
        ({"listeners": [{"prot": 1}]}, "broker.listeners[0].prot", "did you mean 'port'"),
        ({"listeners": {"port": 1}}, "broker.listeners", "list of listeners"),
        ({"max_keepalive": "long"}, "broker.max_keepalive", "whole number"),
        ({"listeners": [{"tls": {"certfile": "c"}}]}, "broker.listeners[0].tls", "keyfile"),
        ({"listeners": [{"websockets": "yes"}]}, "broker.listeners[0].websockets", "true or false"),
    ],
)
def test_errors_name_the_yaml_path_and_the_expected_form(data, path, words):
    with pytest.raises(ConfigError) as caught:
        BrokerConfig.from_mapping(data)
    assert caught.value.path == path
    assert words in str(caught.value)


def test_file_errors_carry_file_line_and_column(tmp_path):
    path = tmp_path / "perch.yaml"
    path.write_text("node: n\nbroker:\n  listeners:\n    - port: 1883\n    - port: nope\n")
    with pytest.raises(ConfigError) as caught:
        load_config_file(path)
    assert f"{path}:5:" in str(caught.value)
    assert "broker.listeners[1].port" in str(caught.value)


def test_file_without_broker_section_gives_defaults(tmp_path):
    path = tmp_path / "perch.yaml"
    path.write_text("node: n\n")
    assert load_config_file(path).listeners[0].port == 1883
