"""Security settings in the ``broker:`` YAML and the ``perch broker`` quick flags."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from broker.cli import build_config
from broker.config import BrokerConfig, ConfigError, load_config_file
from broker.server.security import ServerSecurity
from broker.tls.certs import create_node_certificates


def test_no_listeners_means_loopback_and_anonymous() -> None:
    config = BrokerConfig.from_mapping({})
    assert [(listener.bind, listener.port) for listener in config.listeners] == [("127.0.0.1", 1883)]
    assert config.allow_anonymous is True


def test_configured_listeners_turn_anonymous_access_off_unless_asked() -> None:
    assert BrokerConfig.from_mapping({"listeners": [{"port": 1883}]}).allow_anonymous is False
    assert BrokerConfig.from_mapping({"listeners": [{"port": 1}], "allow_anonymous": True}).allow_anonymous
    per_listener = BrokerConfig.from_mapping(
        {"listeners": [{"port": 1, "allow_anonymous": True}, {"port": 2}]}
    )
    security = ServerSecurity(per_listener)
    assert security.gates[0] is None  # open: no gatekeeper, no per-topic cost
    assert security.gates[1].allow_anonymous is False


def test_yaml_tls_listener_with_every_option(tmp_path: Path) -> None:
    path = tmp_path / "perch.yaml"
    path.write_text(
        "broker:\n  listeners:\n    - port: 8884\n      tls:\n"
        "        certfile: s.crt\n        keyfile: s.key\n        cafile: ca.crt\n"
        "        require_certificate: true\n        use_identity_as_username: true\n"
    )
    [listener] = load_config_file(path).listeners
    assert listener.scheme == "mqtts" and listener.tls.use_identity_as_username


@pytest.mark.parametrize(
    ("tls", "path", "words"),
    [
        ({"certfile": "c", "keyfile": "k", "require_certificate": True}, "tls.require_certificate", "cafile"),
        ({"certfile": "c", "keyfile": "k", "use_identity_as_username": True}, "tls.use_identity", "require"),
        (
            {"certfile": "c", "keyfile": "k", "require_certifcate": True},
            "tls.require_certifcate",
            "did you mean",
        ),
    ],
)
def test_tls_errors_name_the_yaml_path(tls: dict, path: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        BrokerConfig.from_mapping({"listeners": [{"port": 1}, {"port": 2, "tls": tls}]})
    assert f"broker.listeners[1].{path}" in str(caught.value)
    assert words in str(caught.value)


def test_missing_certificate_files_are_reported_with_the_listener_path(tmp_path: Path) -> None:
    config = BrokerConfig.from_mapping(
        {"listeners": [{"port": 0, "tls": {"certfile": str(tmp_path / "no.crt"), "keyfile": "k"}}]}
    )
    with pytest.raises(ConfigError, match=r"broker\.listeners\[0\]\.tls: .*no\.crt: no such file"):
        ServerSecurity(config).contexts()


def test_bad_access_files_are_config_errors(tmp_path: Path) -> None:
    (tmp_path / "acl").write_text("topic\tread x\n")
    with pytest.raises(ConfigError, match=r"broker\.acl_file"):
        ServerSecurity(BrokerConfig(acl_file=str(tmp_path / "acl")))
    with pytest.raises(ConfigError, match=r"broker\.password_file"):
        ServerSecurity(BrokerConfig(password_file=str(tmp_path / "missing")))


def _args(**values: object) -> argparse.Namespace:
    names = ("config", "bind", "port", "ws_port", "max_keepalive", "tls_port", "wss_port", "certfile",
             "keyfile", "cafile", "password_file", "acl_file")  # fmt: skip
    return argparse.Namespace(**{name: values.get(name) for name in names})


def test_quick_flags_add_tls_listeners(tmp_path: Path) -> None:
    node = create_node_certificates("n", tmp_path)
    files = {"certfile": str(node.server_certificate), "keyfile": str(node.server_key)}
    config = build_config(_args(port=0, tls_port=0, wss_port=0, bind="127.0.0.1", **files))
    assert [listener.scheme for listener in config.listeners] == ["mqtt", "mqtts", "wss"]
    assert {listener.bind for listener in config.listeners} == {"127.0.0.1"}
    assert config.allow_anonymous  # flags without a config file: loopback development mode
    with pytest.raises(ConfigError, match="--certfile and --keyfile"):
        build_config(_args(tls_port=0))


def test_reload_keeps_the_old_files_when_the_new_ones_are_broken(tmp_path: Path) -> None:
    acl = tmp_path / "acl"
    acl.write_text("topic read a/#\n")
    security = ServerSecurity(BrokerConfig(acl_file=str(acl)))
    before = security.files.acl
    acl.write_text("nonsense line\n")
    assert security.reload() is False
    assert security.files.acl is before
    acl.write_text("topic read b/#\n")
    assert security.reload() is True
    assert security.gates[0].admit("c", None, None).allows("b/x", "read")
