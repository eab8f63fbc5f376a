"""Perch on the root partition: wheels, the first-boot installer, the services (enabled), config, Avahi."""

from __future__ import annotations

import re
from pathlib import Path

from image.settings import ImageSettings
from image.steps import PlaceFile, PlaceLink

REPO_ROOT = Path(__file__).resolve().parents[2]
SYSTEMD_SOURCE = REPO_ROOT / "systemd"
WHEEL_DIR = "/usr/local/lib/perch/wheels"
UNIT_DIR = "/etc/systemd/system"
# (file in systemd/, path in the image, mode)
STATIC_FILES = (
    ("perch-firstboot", "/usr/local/lib/perch/perch-firstboot", 0o755),
    ("perch-firstboot.service", f"{UNIT_DIR}/perch-firstboot.service", 0o644),
    ("perch-broker.service", f"{UNIT_DIR}/perch-broker.service", 0o644),
    ("perch-agents.service", f"{UNIT_DIR}/perch-agents.service", 0o644),
)
ENABLED_UNITS = (
    ("perch-firstboot.service", "multi-user.target"),
    ("perch-broker.service", "multi-user.target"),
    ("perch-agents.service", "multi-user.target"),
)
AVAHI_SERVICE = """<?xml version="1.0" standalone='no'?>
<!DOCTYPE service-group SYSTEM "avahi-service.dtd">
<!-- Perch: advertise the MQTT broker on the LAN, so apps find it as %h.local -->
<service-group>
  <name replace-wildcards="yes">Perch MQTT broker on %h</name>
  <service>
    <type>_mqtt._tcp</type>
    <port>{port}</port>
  </service>
</service-group>
"""
DEFAULTS = """# Extra arguments for perch-broker.service and perch-agents.service.
PERCH_BROKER_ARGS=
PERCH_AGENTS_ARGS={agents_args}
"""
TOP_LEVEL_KEY = re.compile(r"^[^\s#][^:]*:")


def without_image_section(config_text: str) -> str:
    """The appliance config minus its top-level ``image:`` block (Wi-Fi secrets stay off the root fs)."""
    kept, skipping = [], False
    for line in config_text.splitlines(keepends=True):
        if TOP_LEVEL_KEY.match(line):
            skipping = line.startswith("image:")
        if not skipping:
            kept.append(line)
    return "".join(kept)


def mqtt_port(config_text: str) -> int:
    """The first plain MQTT listener port in the config (1883 by default), for the Avahi record."""
    for match in re.finditer(r"\{\s*port:\s*(\d+)\s*\}", config_text):
        return int(match.group(1))
    return 1883


def reachability_note(config_text: str) -> str | None:
    """A warning when no listener names a bind address: the broker then binds 127.0.0.1 only."""
    if re.search(r"\bbind:\s*", config_text):
        return None
    return (
        "note: no broker listener sets `bind:`, so the broker listens on 127.0.0.1 only and phones cannot "
        "reach it; add `bind: 0.0.0.0` to the listeners in the config"
    )


def perch_files(settings: ImageSettings, wheels: list[Path]) -> list[PlaceFile | PlaceLink]:
    config_text = settings.config_text.decode()
    files: list[PlaceFile | PlaceLink] = [
        PlaceFile(f"{WHEEL_DIR}/{wheel.name}", wheel.read_bytes()) for wheel in sorted(wheels)
    ]
    files += [
        PlaceFile(target, (SYSTEMD_SOURCE / source).read_bytes(), mode)
        for source, target, mode in STATIC_FILES
    ]
    files += [
        PlaceLink(f"{UNIT_DIR}/{target}.wants/{unit}", f"{UNIT_DIR}/{unit}") for unit, target in ENABLED_UNITS
    ]
    agents_args = "--simulate" if settings.simulate else ""
    files += [
        PlaceFile("/etc/perch/perch.yaml", without_image_section(config_text).encode()),
        PlaceFile("/etc/default/perch", DEFAULTS.format(agents_args=agents_args).encode()),
        PlaceFile(
            "/etc/avahi/services/perch-mqtt.service",
            AVAHI_SERVICE.format(port=mqtt_port(config_text)).encode(),
        ),
    ]
    return files
