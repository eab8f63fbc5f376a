"""Image settings from the appliance YAML: defaults, validation with file:line:col, flag overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from image.errors import BadImageConfigError
from image.settings import load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "perch.yaml"
    path.write_text(text)
    return path


def test_defaults_come_from_the_node(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, "node: shed\nagents: []\n"))
    assert (settings.hostname, settings.timezone, settings.locale, settings.keyboard) == (
        "shed", "UTC", "en_GB.UTF-8", "gb",
    )  # fmt: skip
    assert settings.user is None and settings.wifi is None and not settings.simulate


def test_full_section(tmp_path: Path) -> None:
    text = (
        "node: shed\nimage:\n  hostname: shed-pi\n  simulate: true\n"
        "  user: {name: ada, ssh_keys: ['ssh-ed25519 AAAAC3Nza ada@laptop']}\n"
        "  wifi: {ssid: Home, passphrase: '12345678', country: DE}\n"
    )
    settings = load_settings(write(tmp_path, text))
    assert settings.hostname == "shed-pi" and settings.simulate
    assert settings.user.name == "ada" and settings.user.password_hash is None
    assert settings.user.ssh_keys == ("ssh-ed25519 AAAAC3Nza ada@laptop",)
    assert (settings.wifi.ssid, settings.wifi.country) == ("Home", "DE")


def test_flags_win_and_are_checked(tmp_path: Path) -> None:
    path = write(tmp_path, "node: shed\n")
    assert load_settings(path, {"hostname": "barn", "timezone": None}).hostname == "barn"
    with pytest.raises(BadImageConfigError, match=r"--hostname: expected a host name"):
        load_settings(path, {"hostname": "Not Valid"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("agents: []\n", r"perch.yaml:1:1: node: missing"),
        (
            "node: shed\nimage:\n  wifi: {ssid: Home, country: GB}\n",
            r"perch.yaml:3:9: image.wifi.passphrase: missing",
        ),
        (
            "node: shed\nimage:\n  wifi: {ssid: H, passphrase: short, country: GB}\n",
            r"3:31: image.wifi.passphrase: expected 8 to 63",
        ),
        ("node: shed\nimage:\n  user: {name: ada}\n", r"image.user: give a password_hash or ssh_keys"),
        (
            "node: shed\nimage:\n  user: {name: ada, ssh_keys: 'ssh-rsa AAA'}\n",
            r"image.user.ssh_keys: expected a list",
        ),
        (
            "node: shed\nimage:\n  locale: english\n",
            r"3:11: image.locale: expected a locale like en_GB.UTF-8",
        ),
        ("node: shed\nimage:\n  simulate: maybe\n", r"image.simulate: expected true or false"),
        ("node: shed\nimage: [1]\n", r"2:8: image: expected a mapping"),
    ],
)
def test_errors_point_at_the_setting(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(BadImageConfigError, match=message.replace(".", r"\.").replace("(", r"\(")):
        load_settings(write(tmp_path, text))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BadImageConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.yaml")


def test_user_and_wifi_from_flags(tmp_path: Path) -> None:
    key_file = tmp_path / "id_ed25519.pub"
    key_file.write_text("ssh-ed25519 AAAAC3NzaFlag ada@laptop\n")
    settings = load_settings(
        write(tmp_path, "node: shed\nimage:\n  wifi: {ssid: Old, passphrase: '12345678', country: GB}\n"),
        {
            "user": {"name": "ada", "password_hash": None, "ssh_key_files": [key_file]},
            "wifi": {"ssid": "New", "passphrase": None, "country": None},
        },
    )
    assert settings.user.name == "ada" and settings.user.ssh_keys == ("ssh-ed25519 AAAAC3NzaFlag ada@laptop",)
    assert (settings.wifi.ssid, settings.wifi.passphrase) == ("New", "12345678"), "flags merge over the file"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"user": {"name": "ada"}}, "--user: also give --password-hash or --ssh-key"),
        ({"user": {"name": "Ada!", "password_hash": "$6$a$b"}}, "--user: expected a Linux user name"),
        ({"user": {"ssh_key_files": ["/nonexistent.pub"]}}, "--ssh-key /nonexistent.pub: cannot read it"),
        ({"wifi": {"ssid": "Home"}}, "--wifi-passphrase is needed too"),
        (
            {"wifi": {"ssid": "Home", "passphrase": "short", "country": "GB"}},
            "--wifi-passphrase: expected 8 to 63",
        ),
    ],
)
def test_bad_flags_are_named(tmp_path: Path, overrides: dict, message: str) -> None:
    with pytest.raises(BadImageConfigError, match=message.replace(".", r"\.").replace("!", "!")):
        load_settings(write(tmp_path, "node: shed\n"), overrides)
