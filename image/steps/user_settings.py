"""Hostname, user, SSH, Wi-Fi, time zone, locale and keyboard: handed to Raspberry Pi OS's own first boot.

Trixie-based images read cloud-init NoCloud files from the boot partition (``user-data``, ``network-config``,
``meta-data``; ``ds=nocloud;i=<instance id>`` in ``cmdline.txt``). Bookworm-based ones use an empty ``ssh``
file, ``userconf.txt`` (``user:<crypt hash>``) and a ``firstrun.sh`` run once through ``systemd.run=``.
"""

from __future__ import annotations

import shlex

import yaml

from image.settings import ImageSettings, UserSettings, WifiSettings
from image.steps import PlaceFile, Plan

USER_GROUPS = "users,adm,dialout,audio,netdev,video,plugdev,input,gpio,i2c,spi,render,sudo"


def cloud_init_plan(settings: ImageSettings, instance_id: str, plan: Plan) -> None:
    user_data: dict = {
        "hostname": settings.hostname,
        "manage_etc_hosts": True,
        "timezone": settings.timezone,
        "locale": settings.locale,
        "keyboard": {"model": "pc105", "layout": settings.keyboard},
        "rpi": {"interfaces": {"i2c": True, "spi": True, "onewire": True}},
    }
    if settings.user is not None:
        user_data["users"] = [_cloud_init_user(settings.user)]
        user_data["ssh_pwauth"] = bool(settings.user.password_hash)
        user_data["enable_ssh"] = True
    network: dict = {"network": {"version": 2}}
    if settings.wifi is not None:
        network["network"]["wifis"] = {
            "wlan0": {
                "dhcp4": True,
                "optional": True,
                "regulatory-domain": settings.wifi.country,
                "access-points": {settings.wifi.ssid: {"password": settings.wifi.passphrase}},
            }
        }
    plan.boot += [
        PlaceFile("user-data", b"#cloud-config\n" + _yaml(user_data)),
        PlaceFile("network-config", _yaml(network)),
        PlaceFile("meta-data", _yaml({"instance-id": instance_id, "local-hostname": settings.hostname})),
    ]
    plan.cmdline_additions.append(f"ds=nocloud;i={instance_id}")
    plan.notes.append(f"first boot: cloud-init NoCloud, instance id {instance_id}")


def _cloud_init_user(user: UserSettings) -> dict:
    entry: dict = {"name": user.name, "groups": USER_GROUPS, "shell": "/bin/bash", "sudo": "ALL=(ALL) ALL"}
    if user.password_hash:
        entry |= {"lock_passwd": False, "passwd": user.password_hash}
    if user.ssh_keys:
        entry["ssh_authorized_keys"] = list(user.ssh_keys)
    return entry


def _yaml(data: dict) -> bytes:
    return yaml.safe_dump(data, sort_keys=True, default_flow_style=False).encode()


FIRSTRUN_HEAD = """#!/bin/bash
# Written by `perch image build`: applies the image settings once, then removes itself from cmdline.txt.
set +e
"""
FIRSTRUN_TAIL = """rm -f /boot/firmware/firstrun.sh /boot/firstrun.sh
sed -i -e 's| systemd.run=[^ ]*||' -e 's| systemd.run_success_action=[^ ]*||' \\
    -e 's| systemd.unit=kernel-command-line.target||' /boot/firmware/cmdline.txt /boot/cmdline.txt 2>/dev/null
exit 0
"""
NM_CONNECTION = """[connection]
id=perch-wifi
uuid={uuid}
type=wifi
[wifi]
mode=infrastructure
ssid={ssid}
[wifi-security]
key-mgmt=wpa-psk
psk={passphrase}
[ipv4]
method=auto
[ipv6]
method=auto
"""
FIRSTRUN_CMDLINE = (
    "systemd.run=/boot/firmware/firstrun.sh",
    "systemd.run_success_action=reboot",
    "systemd.unit=kernel-command-line.target",
)


def _firstrun_script(settings: ImageSettings, instance_id: str) -> bytes:
    quote = shlex.quote
    lines = [
        f"echo {quote(settings.hostname)} > /etc/hostname",
        f"sed -i 's/^127\\.0\\.1\\.1.*/127.0.1.1\\t{settings.hostname}/' /etc/hosts",
        f"ln -sf /usr/share/zoneinfo/{settings.timezone} /etc/localtime",
        f"echo {quote(settings.timezone)} > /etc/timezone",
        f"sed -i 's/^XKBLAYOUT=.*/XKBLAYOUT=\"{settings.keyboard}\"/' /etc/default/keyboard",
        f"echo {quote(f'{settings.locale} UTF-8')} > /etc/locale.gen && locale-gen",
        f"update-locale LANG={quote(settings.locale)}",
    ]
    if settings.user is not None:
        lines += _firstrun_user_lines(settings.user)
    if settings.wifi is not None:
        lines += _firstrun_wifi_lines(settings.wifi, instance_id)
    return (FIRSTRUN_HEAD + "\n".join(lines) + "\n" + FIRSTRUN_TAIL).encode()


def _firstrun_user_lines(user: UserSettings) -> list[str]:
    """Create (rename) the user with Raspberry Pi OS's own tool, then install its SSH keys."""
    name = shlex.quote(user.name)
    lines = [
        "if [ -x /usr/lib/userconf-pi/userconf ]; then",
        f"    /usr/lib/userconf-pi/userconf {name} {shlex.quote(user.password_hash or '!')}",
        "    rm -f /boot/firmware/userconf.txt /boot/userconf.txt",
        "fi",
    ]
    if user.ssh_keys:
        keys = shlex.quote("\n".join(user.ssh_keys) + "\n")
        lines += [
            f'home=$(getent passwd {name} | cut -d: -f6); [ -n "$home" ] || home=/home/{user.name}',
            'install -d -m 700 "$home/.ssh"',
            f'printf %s {keys} > "$home/.ssh/authorized_keys"',
            f'chmod 600 "$home/.ssh/authorized_keys"; chown -R {name}: "$home/.ssh"',
            "systemctl enable ssh",
        ]
    return lines


def _firstrun_wifi_lines(wifi: WifiSettings, instance_id: str) -> list[str]:
    """A NetworkManager profile (Bookworm's network stack), the regulatory country, radio unblocked."""
    connection = NM_CONNECTION.format(
        uuid=_uuid_from(instance_id), ssid=wifi.ssid, passphrase=wifi.passphrase
    )
    path = "/etc/NetworkManager/system-connections/perch-wifi.nmconnection"
    return [
        f"printf %s {shlex.quote(connection)} > {path}",
        f"chmod 600 {path}",
        "rfkill unblock wifi",
        'for state in /var/lib/systemd/rfkill/*:wlan; do [ -e "$state" ] && echo 0 > "$state"; done',
        f"raspi-config nonint do_wifi_country {shlex.quote(wifi.country)}",
    ]


def _uuid_from(instance_id: str) -> str:
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"perch:{instance_id}"))


def legacy_plan(settings: ImageSettings, instance_id: str, plan: Plan) -> None:
    plan.boot.append(PlaceFile("firstrun.sh", _firstrun_script(settings, instance_id), mode=0o755))
    plan.cmdline_additions += list(FIRSTRUN_CMDLINE)
    if settings.wifi is not None:
        plan.cmdline_additions.append(f"cfg80211.ieee80211_regdom={settings.wifi.country}")
    if settings.user is not None:
        plan.boot.append(PlaceFile("ssh", b""))
        password_hash = settings.user.password_hash or "!"
        plan.boot.append(PlaceFile("userconf.txt", f"{settings.user.name}:{password_hash}\n".encode()))
    plan.notes.append("first boot: Bookworm userconf.txt + ssh + firstrun.sh")
