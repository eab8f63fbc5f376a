"""Image settings: the ``image:`` section of the appliance YAML, overridable by command-line flags.

```yaml
node: greenhouse
image:
  hostname: greenhouse            # default: the node name
  user: {name: pi, password_hash: "$6$...", ssh_keys: ["ssh-ed25519 AAAA... me@laptop"]}
  wifi: {ssid: Home, passphrase: secret123, country: GB}
  timezone: Europe/London
  locale: en_GB.UTF-8
  keyboard: gb
  simulate: false                 # run the agents on emulated chips (a Pi with no sensors wired yet)
```
Errors name the file, line and column and the setting, as ``perch.yaml:4:9: image.wifi.country: ...``.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from image.errors import BadImageConfigError

HOSTNAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
USERNAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
PASSWORD_HASH = re.compile(r"^\$(1|5|6|y|gy|7|2[abxy]?)\$[./A-Za-z0-9$=,]+$")
SSH_KEY = re.compile(r"^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp\d+|sk-\S+) [A-Za-z0-9+/=]+( .*)?$")
COUNTRY = re.compile(r"^[A-Z]{2}$")
TIMEZONE = re.compile(r"^(UTC|[A-Z][A-Za-z_+-]*(/[A-Za-z0-9_+-]+){1,2})$")
LOCALE = re.compile(r"^[a-z]{2,3}_[A-Z]{2}\.UTF-8$")
KEYBOARD = re.compile(r"^[a-z]{2,}$")
IMAGE_KEYS = ("hostname", "user", "wifi", "timezone", "locale", "keyboard", "simulate")
USER_KEYS = ("name", "password_hash", "ssh_keys")
WIFI_KEYS = ("ssid", "passphrase", "country")


@dataclass(frozen=True)
class UserSettings:
    name: str = "pi"
    password_hash: str | None = None
    ssh_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class WifiSettings:
    ssid: str
    passphrase: str
    country: str


@dataclass(frozen=True)
class ImageSettings:
    hostname: str
    node: str
    user: UserSettings | None = None
    wifi: WifiSettings | None = None
    timezone: str = "UTC"
    locale: str = "en_GB.UTF-8"
    keyboard: str = "gb"
    simulate: bool = False
    config_text: bytes = field(default=b"", repr=False)


class _Source:
    """The parsed YAML plus the position of every value, for errors that point at the line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.text = path.read_bytes()
        try:
            self.root = yaml.compose(self.text.decode())
        except (yaml.YAMLError, UnicodeDecodeError) as error:
            raise BadImageConfigError(f"{path}: not valid YAML: {error}") from error

    def fail(self, node: yaml.Node | None, setting: str, message: str) -> BadImageConfigError:
        mark = node.start_mark if node is not None else None
        where = f"{self.path}:{mark.line + 1}:{mark.column + 1}" if mark else str(self.path)
        return BadImageConfigError(f"{where}: {setting}: {message}")


def _mapping(source: _Source, node: yaml.Node, setting: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(node, yaml.MappingNode):
        raise source.fail(node, setting, "expected a mapping of settings")
    values: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = key_node.value
        if key not in allowed:
            hint = difflib.get_close_matches(key, allowed, n=1)
            suggestion = f" (did you mean {hint[0]!r}?)" if hint else f" (known: {', '.join(allowed)})"
            raise source.fail(key_node, f"{setting}.{key}", f"unknown setting{suggestion}")
        values[key] = value_node
    return values


def _scalar(source: _Source, node: yaml.Node, setting: str, pattern: re.Pattern[str], form: str) -> str:
    value = node.value if isinstance(node, yaml.ScalarNode) else None
    if not isinstance(value, str) or not pattern.match(value):
        raise source.fail(node, setting, f"expected {form}, got {value!r}")
    return value


def _user(source: _Source, node: yaml.Node) -> UserSettings:
    values = _mapping(source, node, "image.user", USER_KEYS)
    name = (
        _scalar(source, values["name"], "image.user.name", USERNAME, "a Linux user name")
        if ("name" in values)
        else "pi"
    )
    password_hash = None
    if "password_hash" in values:
        password_hash = _scalar(
            source,
            values["password_hash"],
            "image.user.password_hash",
            PASSWORD_HASH,
            "a crypt hash such as the output of `openssl passwd -6`",
        )
    keys: tuple[str, ...] = ()
    if "ssh_keys" in values:
        keys_node = values["ssh_keys"]
        if not isinstance(keys_node, yaml.SequenceNode):
            raise source.fail(keys_node, "image.user.ssh_keys", "expected a list of public keys")
        keys = tuple(
            _scalar(source, item, f"image.user.ssh_keys[{index}]", SSH_KEY, "an OpenSSH public key line")
            for index, item in enumerate(keys_node.value)
        )
    if password_hash is None and not keys:
        raise source.fail(node, "image.user", "give a password_hash or ssh_keys, or the user cannot log in")
    return UserSettings(name=name, password_hash=password_hash, ssh_keys=keys)


def _wifi(source: _Source, node: yaml.Node) -> WifiSettings:
    values = _mapping(source, node, "image.wifi", WIFI_KEYS)
    for key in WIFI_KEYS:
        if key not in values:
            raise source.fail(node, f"image.wifi.{key}", "missing (ssid, passphrase and country are needed)")
    ssid = _scalar(source, values["ssid"], "image.wifi.ssid", re.compile(r"^.{1,32}$"), "1 to 32 characters")
    passphrase = _scalar(
        source,
        values["passphrase"],
        "image.wifi.passphrase",
        re.compile(r"^([ -~]{8,63}|[0-9a-fA-F]{64})$"),
        "8 to 63 printable characters (WPA2)",
    )
    country = _scalar(source, values["country"], "image.wifi.country", COUNTRY, "a two-letter code like GB")
    return WifiSettings(ssid=ssid, passphrase=passphrase, country=country)


def _node_name(source: _Source) -> tuple[str, yaml.Node | None]:
    if not isinstance(source.root, yaml.MappingNode):
        raise source.fail(
            source.root, "(top level)", "expected the appliance config mapping (node:, agents:, ...)"
        )
    for key_node, value_node in source.root.value:
        if key_node.value == "node":
            return str(value_node.value), value_node
    raise source.fail(source.root, "node", "missing: the node name is the default hostname")


def _image_section(source: _Source) -> dict[str, Any]:
    for key_node, value_node in source.root.value:
        if key_node.value == "image":
            return _mapping(source, value_node, "image", IMAGE_KEYS)
    return {}


def load_settings(config_path: Path, overrides: dict[str, Any] | None = None) -> ImageSettings:
    """Read and check the image settings; ``overrides`` (from flags) win over the file."""
    if not config_path.is_file():
        raise BadImageConfigError(f"{config_path}: config file not found")
    source = _Source(config_path)
    node, node_mark = _node_name(source)
    values = _image_section(source)
    hostname_node = values.get("hostname", node_mark)
    hostname = _scalar(source, hostname_node, "image.hostname", HOSTNAME, "a host name (a-z, 0-9, -)")
    settings = ImageSettings(
        hostname=hostname,
        node=node,
        user=_user(source, values["user"]) if "user" in values else None,
        wifi=_wifi(source, values["wifi"]) if "wifi" in values else None,
        timezone=_optional(source, values, "timezone", TIMEZONE, "an Area/City time zone", "UTC"),
        locale=_optional(source, values, "locale", LOCALE, "a locale like en_GB.UTF-8", "en_GB.UTF-8"),
        keyboard=_optional(source, values, "keyboard", KEYBOARD, "a keyboard layout like gb", "gb"),
        simulate=_boolean(source, values.get("simulate")),
        config_text=source.text,
    )
    return apply_overrides(settings, overrides or {})


def _optional(
    source: _Source, values: dict[str, Any], key: str, pattern: re.Pattern[str], form: str, default: str
) -> str:
    return _scalar(source, values[key], f"image.{key}", pattern, form) if key in values else default


def _boolean(source: _Source, node: yaml.Node | None) -> bool:
    if node is None:
        return False
    if not isinstance(node, yaml.ScalarNode) or node.value.lower() not in ("true", "false", "yes", "no"):
        raise source.fail(node, "image.simulate", "expected true or false")
    return node.value.lower() in ("true", "yes")


OVERRIDE_CHECKS = {
    "hostname": (HOSTNAME, "a host name (a-z, 0-9, -)"),
    "timezone": (TIMEZONE, "an Area/City time zone"),
    "locale": (LOCALE, "a locale like en_GB.UTF-8"),
    "keyboard": (KEYBOARD, "a keyboard layout like gb"),
}


def apply_overrides(settings: ImageSettings, overrides: dict[str, Any]) -> ImageSettings:
    """Flags replace settings from the file; each is checked like its YAML counterpart.

    ``user`` and ``wifi`` are mappings of flag values (``name``, ``password_hash``, ``ssh_key_files``;
    ``ssid``, ``passphrase``, ``country``) merged over the file's settings.
    """
    changes: dict[str, Any] = {}
    for key, value in overrides.items():
        if value is None:
            continue
        if key == "user":
            changes["user"] = _user_override(settings.user, value)
        elif key == "wifi":
            changes["wifi"] = _wifi_override(settings.wifi, value)
        else:
            if key in OVERRIDE_CHECKS:
                _check_flag(f"--{key}", value, *OVERRIDE_CHECKS[key])
            changes[key] = value
    return replace(settings, **changes)


def _check_flag(flag: str, value: str, pattern: re.Pattern[str], form: str) -> None:
    if not pattern.match(value):
        raise BadImageConfigError(f"{flag}: expected {form}, got {value!r}")


def _read_public_keys(path: Path) -> list[str]:
    try:
        lines = [line.strip() for line in Path(path).read_text().splitlines() if line.strip()]
    except OSError as error:
        raise BadImageConfigError(f"--ssh-key {path}: cannot read it ({error.strerror})") from error
    for line in lines:
        _check_flag(f"--ssh-key {path}", line, SSH_KEY, "an OpenSSH public key file (.pub)")
    return lines


def _user_override(current: UserSettings | None, flags: dict[str, Any]) -> UserSettings | None:
    base = current or UserSettings()
    name, password_hash = flags.get("name"), flags.get("password_hash")
    if name is None and password_hash is None and not flags.get("ssh_key_files"):
        return current
    if name is not None:
        _check_flag("--user", name, USERNAME, "a Linux user name")
    if password_hash is not None:
        _check_flag("--password-hash", password_hash, PASSWORD_HASH, "a crypt hash (openssl passwd -6)")
    keys = tuple(key for path in flags.get("ssh_key_files") or () for key in _read_public_keys(path))
    merged = UserSettings(name or base.name, password_hash or base.password_hash, keys or base.ssh_keys)
    if merged.password_hash is None and not merged.ssh_keys:
        raise BadImageConfigError("--user: also give --password-hash or --ssh-key, or the user cannot log in")
    return merged


WIFI_FLAGS = {
    "ssid": ("--wifi-ssid", re.compile(r"^.{1,32}$"), "1 to 32 characters"),
    "passphrase": ("--wifi-passphrase", re.compile(r"^([ -~]{8,63}|[0-9a-fA-F]{64})$"), "8 to 63 characters"),
    "country": ("--wifi-country", COUNTRY, "a two-letter code like GB"),
}


def _wifi_override(current: WifiSettings | None, flags: dict[str, Any]) -> WifiSettings | None:
    given = {key: value for key, value in flags.items() if value is not None}
    if not given:
        return current
    merged = (vars(current) if current else {}) | given
    for key, (flag, pattern, form) in WIFI_FLAGS.items():
        if key not in merged:
            raise BadImageConfigError(
                f"{flag} is needed too (Wi-Fi needs an SSID, a passphrase and a country)"
            )
        _check_flag(flag, merged[key], pattern, form)
    return WifiSettings(merged["ssid"], merged["passphrase"], merged["country"])
