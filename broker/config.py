"""The ``broker:`` section of the appliance YAML: dataclasses with defaults, validated strictly.

Unknown keys are errors with a "did you mean" hint; every error names its YAML path
(``broker.listeners[1].port``) and what was expected. Listeners bind 127.0.0.1 unless ``bind`` says
otherwise; once ``listeners`` is given, anonymous access is off unless ``allow_anonymous`` turns it on
(Mosquitto 2's secure default, ``broker/server/security.py``).
"""

from __future__ import annotations

import difflib
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

from broker.core.sessions import QueueLimits
from broker.protocol.limits import ProtocolLimits

MAX_PACKET_SIZE = 268_435_455 + 5  # the largest packet MQTT can express
DEFAULT_MAX_PACKET_SIZE = 1024 * 1024


class ConfigError(ValueError):
    """A bad broker config; ``path`` is the YAML path, ``where`` a file:line:col when known."""

    def __init__(self, path: str, message: str, where: str = "") -> None:
        self.path, self.message, self.where = path, message, where
        prefix = f"{where}: " if where else ""
        super().__init__(f"{prefix}{path}: {message}")


@dataclass
class TlsConfig:
    certfile: str = ""
    keyfile: str = ""
    cafile: str | None = None
    require_certificate: bool = False
    use_identity_as_username: bool = False


@dataclass
class ListenerConfig:
    port: int = 1883
    bind: str = "127.0.0.1"
    websockets: bool = False
    tls: TlsConfig | None = None
    allow_anonymous: bool | None = None  # None: the global allow_anonymous

    @property
    def scheme(self) -> str:
        return ("wss" if self.tls else "ws") if self.websockets else ("mqtts" if self.tls else "mqtt")


@dataclass
class BrokerConfig:
    listeners: list[ListenerConfig] = field(default_factory=lambda: [ListenerConfig()])
    max_keepalive: int = 0
    max_packet_size: int = DEFAULT_MAX_PACKET_SIZE
    max_connections: int = 10_000
    receive_maximum: int = 100
    max_inflight_messages: int = 100
    max_queued_messages: int = 1000
    max_queued_bytes: int = 16 * 1024 * 1024
    max_retained_messages: int = 100_000
    topic_alias_maximum: int = 10
    connect_timeout: float = 10.0
    max_client_id_length: int = 256
    max_topic_length: int = 65535
    max_topic_levels: int = 200
    sys_interval: float = 10.0
    log_level: str = "info"  # debug, info, warning or error, like Mosquitto's log_type (server/logs.py)
    allow_anonymous: bool = True  # from YAML: false once `listeners` is given (server/security.py)
    password_file: str | None = None
    acl_file: str | None = None
    persistence: dict | None = None
    bridges: list = field(default_factory=list)

    @classmethod
    def from_mapping(cls, data: dict | None, source: str = "<config>") -> BrokerConfig:
        """Build from the ``broker:`` mapping, raising ConfigError naming the path on any problem."""
        from broker.server.security import secure_defaults

        config = _build(cls, secure_defaults(data or {}), "broker")
        config.validate()
        return config

    def validate(self) -> None:
        _check_range("broker.max_keepalive", self.max_keepalive, 0, 65535)
        _check_range("broker.max_packet_size", self.max_packet_size, 64, MAX_PACKET_SIZE)
        _check_range("broker.max_connections", self.max_connections, 1, 1_000_000)
        _check_range("broker.receive_maximum", self.receive_maximum, 1, 65535)
        _check_range("broker.max_inflight_messages", self.max_inflight_messages, 1, 65535)
        _check_range("broker.max_queued_messages", self.max_queued_messages, 0, 10_000_000)
        _check_range("broker.max_queued_bytes", self.max_queued_bytes, 0, 1 << 40)
        _check_range("broker.max_retained_messages", self.max_retained_messages, 0, 100_000_000)
        _check_range("broker.topic_alias_maximum", self.topic_alias_maximum, 0, 65535)
        _check_range("broker.connect_timeout", self.connect_timeout, 0.1, 3600)
        _check_range("broker.sys_interval", self.sys_interval, 0, 86400)
        _check_range("broker.max_client_id_length", self.max_client_id_length, 23, 65535)
        _check_range("broker.max_topic_length", self.max_topic_length, 1, 65535)
        _check_range("broker.max_topic_levels", self.max_topic_levels, 1, 65535)
        _check_log_level("broker.log_level", self.log_level)
        for index, listener in enumerate(self.listeners):
            path = f"broker.listeners[{index}]"
            _check_range(f"{path}.port", listener.port, 0, 65535)
            if listener.tls is not None and not (listener.tls.certfile and listener.tls.keyfile):
                raise ConfigError(f"{path}.tls", "expected both certfile and keyfile")
        from broker.server.security import validate_security

        validate_security(self)
        from broker.server.durability import validate_persistence_and_bridges

        validate_persistence_and_bridges(self)

    def protocol_limits(self) -> ProtocolLimits:
        return ProtocolLimits(
            max_keepalive=self.max_keepalive,
            max_packet_size=self.max_packet_size,
            receive_maximum=self.receive_maximum,
            max_inflight=self.max_inflight_messages,
            topic_alias_maximum=self.topic_alias_maximum,
            connect_timeout=self.connect_timeout,
            max_client_id_length=self.max_client_id_length,
            max_topic_length=self.max_topic_length,
            max_topic_levels=self.max_topic_levels,
        )

    def queue_limits(self) -> QueueLimits:
        return QueueLimits(self.max_queued_messages, self.max_queued_bytes)


def _check_range(path: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ConfigError(path, f"expected a number from {low} to {high}, got {value!r}")


def _check_log_level(path: str, value: str) -> None:
    from broker.server.logs import LOG_LEVELS

    if value not in LOG_LEVELS:
        raise ConfigError(path, f"expected one of {', '.join(LOG_LEVELS)}, got {value!r}")


def _build(cls: type, data: Any, path: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(path, f"expected a mapping, got {type(data).__name__}")
    hints = get_type_hints(cls)
    known = {f.name: f for f in fields(cls)}
    values = {}
    for key, value in data.items():
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"{path}.{key}", f"unknown key{hint}; expected one of {', '.join(known)}")
        values[key] = _convert(hints[key], value, f"{path}.{key}")
    for name, spec in known.items():
        if spec.default is MISSING and spec.default_factory is MISSING and name not in values:
            raise ConfigError(f"{path}.{name}", "is required")
    return cls(**values)


def _convert(hint: Any, value: Any, path: str) -> Any:
    text = str(hint)
    if value is None and ("None" in text or "Optional" in text):
        return None
    if hint is bool or text == "bool":
        if isinstance(value, bool):
            return value
        raise ConfigError(path, f"expected true or false, got {value!r}")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(path, f"expected a whole number, got {value!r}")
    if hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise ConfigError(path, f"expected a number of seconds, got {value!r}")
    if "ListenerConfig" in text:
        if not isinstance(value, list):
            raise ConfigError(path, "expected a list of listeners like {port: 1883}")
        return [_build(ListenerConfig, item, f"{path}[{index}]") for index, item in enumerate(value)]
    if "TlsConfig" in text:
        return _build(TlsConfig, value, path)
    if "str" in text:
        if isinstance(value, str):
            return value
        raise ConfigError(path, f"expected text, got {value!r}")
    if "dict" in text and not isinstance(value, dict):
        raise ConfigError(path, "expected a mapping")
    if "list" in text and not isinstance(value, list):
        raise ConfigError(path, "expected a list")
    return value


def load_config_file(path: str | Path) -> BrokerConfig:
    """Read the appliance YAML and build its ``broker:`` section (file:line:col when available)."""
    try:
        from agents.config.yamlfile import load_yaml
    except ImportError:  # pragma: no cover - the agents component is always installed with Perch
        load_yaml = None
    if load_yaml is None:
        import yaml

        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as error:
            raise ConfigError("broker", f"cannot read {path}: {error}") from error
        return BrokerConfig.from_mapping((data or {}).get("broker"), str(path))
    return _load_with_marks(path, load_yaml)


def _load_with_marks(path: str | Path, load_yaml: Any) -> BrokerConfig:
    try:
        document = load_yaml(Path(path))
    except ValueError as error:
        raise ConfigError("broker", str(error)) from error
    data = document.data if isinstance(document.data, dict) else {}
    try:
        return BrokerConfig.from_mapping(data.get("broker"), str(path))
    except ConfigError as error:
        yaml_path = _parse_path(error.path)
        mark = document.mark(yaml_path, key="unknown key" in error.message)
        raise ConfigError(error.path, error.message, str(mark)) from None


def _parse_path(text: str) -> tuple:
    parts: list[str | int] = []
    for piece in text.replace("[", ".[").split("."):
        if piece.startswith("["):
            parts.append(int(piece[1:-1]))
        elif piece:
            parts.append(piece)
    return tuple(parts)
