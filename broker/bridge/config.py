"""The ``bridges:`` section: which topics go to and from which upstream broker, validated strictly.

Topic mapping follows Mosquitto's ``topic pattern direction qos local_prefix remote_prefix``: the
local topic is ``local_prefix + pattern`` and the remote one ``remote_prefix + pattern``.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from broker.topics import TopicError, filter_matches, validate_topic_filter

DIRECTIONS = ("out", "in", "both")
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class BridgeConfigError(ValueError):
    """A bad bridge config; ``path`` is the YAML path (``bridges[0].topics[1].qos``)."""

    def __init__(self, path: str, message: str) -> None:
        self.path, self.message = path, message
        super().__init__(f"{path}: {message}")


def _check_keys(data: Any, allowed: tuple[str, ...], path: str) -> dict:
    if not isinstance(data, dict):
        raise BridgeConfigError(path, f"expected a mapping, got {type(data).__name__}")
    for key in data:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise BridgeConfigError(
                f"{path}.{key}", f"unknown key{hint}; expected one of {', '.join(allowed)}"
            )
    return data


def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _typed(data: dict, key: str, kind: type | tuple, path: str, default: Any) -> Any:
    value = data.get(key, default)
    if value is default:
        return value
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise BridgeConfigError(f"{path}.{key}", f"expected {_kind_name(kind)}, got {value!r}")
    if not isinstance(value, kind):
        raise BridgeConfigError(f"{path}.{key}", f"expected {_kind_name(kind)}, got {value!r}")
    return value


def _kind_name(kind: type | tuple) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {"str": "a string", "int": "a whole number", "bool": "true or false", "list": "a list"}
    return " or ".join(names.get(k.__name__, k.__name__) for k in kinds)


@dataclass(frozen=True)
class TopicRule:
    pattern: str = "#"
    direction: str = "out"
    qos: int = 0
    local_prefix: str = ""
    remote_prefix: str = ""

    @property
    def local_filter(self) -> str:
        return self.local_prefix + self.pattern

    @property
    def remote_filter(self) -> str:
        return self.remote_prefix + self.pattern

    @property
    def goes_out(self) -> bool:
        return self.direction in ("out", "both")

    @property
    def comes_in(self) -> bool:
        return self.direction in ("in", "both")

    @classmethod
    def from_mapping(cls, data: Any, path: str) -> TopicRule:
        data = _check_keys(data, _field_names(cls), path)
        rule = cls(
            pattern=_typed(data, "pattern", str, path, "#"),
            direction=_typed(data, "direction", str, path, "out"),
            qos=_typed(data, "qos", int, path, 0),
            local_prefix=_typed(data, "local_prefix", str, path, ""),
            remote_prefix=_typed(data, "remote_prefix", str, path, ""),
        )
        if rule.direction not in DIRECTIONS:
            raise BridgeConfigError(f"{path}.direction", f"expected out, in or both, got {rule.direction!r}")
        if rule.qos not in (0, 1, 2):
            raise BridgeConfigError(f"{path}.qos", f"expected 0, 1 or 2, got {rule.qos}")
        for key, prefix in (("local_prefix", rule.local_prefix), ("remote_prefix", rule.remote_prefix)):
            if "+" in prefix or "#" in prefix:
                raise BridgeConfigError(f"{path}.{key}", "a prefix must not contain wildcards")
        for key, text in (("pattern", rule.local_filter), ("pattern", rule.remote_filter)):
            try:
                validate_topic_filter(text)
            except TopicError as error:
                raise BridgeConfigError(
                    f"{path}.{key}", f"{text!r} is not a topic filter: {error}"
                ) from error
        return rule


@dataclass(frozen=True)
class BridgeTls:
    ca_certs: str | None = None
    certfile: str | None = None
    keyfile: str | None = None

    @classmethod
    def from_mapping(cls, data: Any, path: str) -> BridgeTls:
        data = _check_keys(data, _field_names(cls), path)
        tls = cls(*(_typed(data, key, str, path, None) for key in _field_names(cls)))
        if (tls.certfile is None) != (tls.keyfile is None):
            raise BridgeConfigError(path, "certfile and keyfile go together")
        return tls


@dataclass(frozen=True)
class BridgeConfig:
    name: str
    address: str
    topics: tuple[TopicRule, ...] = ()
    username: str | None = None
    password: str | None = None
    password_file: str | None = None
    tls: BridgeTls | None = None
    client_id: str | None = None
    keepalive: int = 60
    cleansession: bool = False
    max_spooled_messages: int = 100_000
    max_spooled_bytes: int = 64 * 1024 * 1024
    reconnect_delay: tuple[float, float] = (1.0, 60.0)
    local_username: str | None = None  # Perch's own user for the local side, when anonymous is off
    local_password_file: str | None = None  # its password: the file's first line
    host: str = field(init=False, repr=False, default="")
    port: int = field(init=False, repr=False, default=1883)

    def __post_init__(self) -> None:
        host, port = parse_address(self.address, "address")
        object.__setattr__(self, "host", host)
        object.__setattr__(self, "port", port)

    @property
    def remote_client_id(self) -> str:
        return self.client_id or f"perch-bridge-{self.name}"

    @property
    def state_topic(self) -> str:
        """Mosquitto's bridge notification topic: ``1`` while connected, ``0`` otherwise."""
        return f"$SYS/broker/connection/{self.name}/state"

    def rule_for_local(self, topic: str) -> TopicRule | None:
        return next((r for r in self.topics if r.goes_out and filter_matches(r.local_filter, topic)), None)

    def rule_for_remote(self, topic: str) -> TopicRule | None:
        return next((r for r in self.topics if r.comes_in and filter_matches(r.remote_filter, topic)), None)

    def read_password(self) -> str | None:
        """The password, from ``password`` or the first line of ``password_file``."""
        if self.password_file is None:
            return self.password
        try:
            return Path(self.password_file).read_text().splitlines()[0].strip()
        except (OSError, IndexError) as error:
            raise BridgeConfigError(
                f"bridge {self.name}.password_file", f"cannot read a password: {error}"
            ) from error

    def read_local_password(self) -> str:
        """The local user's password: the first line of ``local_password_file``."""
        try:
            return Path(self.local_password_file or "").read_text().splitlines()[0].strip()
        except (OSError, IndexError) as error:
            raise BridgeConfigError(
                f"bridge {self.name}.local_password_file", f"cannot read a password: {error}"
            ) from error

    @classmethod
    def from_mapping(cls, data: Any, path: str = "bridges[0]") -> BridgeConfig:
        data = _check_keys(data, tuple(n for n in _field_names(cls) if n not in ("host", "port")), path)
        for required in ("name", "address"):
            if required not in data:
                raise BridgeConfigError(f"{path}.{required}", "required")
        name = _typed(data, "name", str, path, None)
        if not _NAME.match(name):
            raise BridgeConfigError(f"{path}.name", "expected 1-64 letters, digits, '.', '_' or '-'")
        topics = _typed(data, "topics", list, path, [])
        if not topics:
            raise BridgeConfigError(f"{path}.topics", "expected at least one topic rule")
        parse_address(_typed(data, "address", str, path, None), f"{path}.address")
        if data.get("password") is not None and data.get("password_file") is not None:
            raise BridgeConfigError(f"{path}.password_file", "give password or password_file, not both")
        if (data.get("local_username") is None) != (data.get("local_password_file") is None):
            raise BridgeConfigError(
                f"{path}.local_username", "give local_username and local_password_file together"
            )
        return cls(
            name=name,
            address=data["address"],
            topics=tuple(TopicRule.from_mapping(t, f"{path}.topics[{i}]") for i, t in enumerate(topics)),
            username=_typed(data, "username", str, path, None),
            password=_typed(data, "password", str, path, None),
            password_file=_typed(data, "password_file", str, path, None),
            tls=None if data.get("tls") is None else BridgeTls.from_mapping(data["tls"], f"{path}.tls"),
            client_id=_typed(data, "client_id", str, path, None),
            keepalive=_ranged(data, "keepalive", path, 60, 5, 65535),
            cleansession=_typed(data, "cleansession", bool, path, False),
            max_spooled_messages=_ranged(data, "max_spooled_messages", path, 100_000, 1, 10_000_000),
            max_spooled_bytes=_ranged(data, "max_spooled_bytes", path, 64 << 20, 1024, 1 << 40),
            reconnect_delay=_delays(data, path),
            local_username=_typed(data, "local_username", str, path, None),
            local_password_file=_typed(data, "local_password_file", str, path, None),
        )


def _ranged(data: dict, key: str, path: str, default: int, low: int, high: int) -> int:
    value = _typed(data, key, int, path, default)
    if not low <= value <= high:
        raise BridgeConfigError(f"{path}.{key}", f"expected {low}..{high}, got {value}")
    return value


def _delays(data: dict, path: str) -> tuple[float, float]:
    value = data.get("reconnect_delay", [1.0, 60.0])
    ok = isinstance(value, list | tuple) and len(value) == 2
    ok = ok and all(isinstance(v, int | float) and not isinstance(v, bool) and v > 0 for v in value)
    if not ok or value[0] > value[1]:
        raise BridgeConfigError(
            f"{path}.reconnect_delay", f"expected [first, longest] seconds, got {value!r}"
        )
    return float(value[0]), float(value[1])


def parse_address(text: Any, path: str) -> tuple[str, int]:
    """``host:port``, ``[v6]:port`` or a bare host (port 1883)."""
    if not isinstance(text, str) or not text:
        raise BridgeConfigError(path, f"expected host:port, got {text!r}")
    match = re.fullmatch(r"\[([^\]]+)\](?::(\d+))?|([^:\[\]]+)(?::(\d+))?", text)
    if match is None:
        raise BridgeConfigError(path, f"expected host:port, got {text!r}")
    host = match.group(1) or match.group(3)
    port = int(match.group(2) or match.group(4) or 1883)
    if not 1 <= port <= 65535:
        raise BridgeConfigError(path, f"port {port} is out of range")
    return host, port


def bridges_from_mapping(data: Any, path: str = "broker.bridges") -> list[BridgeConfig]:
    """Every bridge in the ``bridges:`` list; names must be unique (they name spools and topics)."""
    if data is None:
        return []
    if not isinstance(data, list):
        raise BridgeConfigError(path, "expected a list of bridges")
    bridges = [BridgeConfig.from_mapping(item, f"{path}[{i}]") for i, item in enumerate(data)]
    seen: set[str] = set()
    for index, bridge in enumerate(bridges):
        if bridge.name in seen:
            raise BridgeConfigError(f"{path}[{index}].name", f"{bridge.name!r} is used twice")
        seen.add(bridge.name)
    return bridges
