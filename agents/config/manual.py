"""``docs/config-reference.md``, generated from the schema: ``perch check --reference``."""

from __future__ import annotations

from agents.config.appliance import (
    AgentCommon,
    HomeAssistantSettings,
    MqttSettings,
    SpoolSettings,
    TlsSettings,
    TopLevel,
)
from agents.config.reference import options_table
from agents.drivers.registry import Registry, default_registry

SECTIONS = (
    ("Top level", TopLevel, ""),
    ("`mqtt:`", MqttSettings, "How the agents reach a broker."),
    ("`mqtt.tls:`", TlsSettings, "TLS for the agents' connection; `tls: {}` uses the system's CAs."),
    ("`home_assistant:`", HomeAssistantSettings, ""),
    (
        "`spool:`",
        SpoolSettings,
        "Readings wait here while the broker is away (oldest dropped past the bound).",
    ),
    ("Agent fields", AgentCommon, "Every entry of `agents:` and `agents.d/*.yaml`, plus its type's options."),
)

INTRO = """# Perch configuration reference

Generated from the schema by `perch check --reference`; do not edit by hand.

One YAML file describes a node (`/etc/perch/perch.yaml` on the Pi); drop-in files in `agents.d/*.yaml`
beside it add agents (a list of agents, or a mapping with only `agents:`). Durations are written
`500ms`, `30s`, `5min` or `1h`; I2C addresses `0x76` or `118`; GPIO pins `GPIO17`, `BCM17`, `17` or
`BOARD11` (physical pin). `perch check FILE` validates everything and prints `file:line:col` errors.
"""


def filters_section() -> list[str]:
    from agents.filters import FILTERS

    lines = [
        "## Filters",
        "",
        "In order, with ESPHome's names: `filters: [{offset: -0.4}, {round: 1}]` for every quantity,",
        "or `filters: {temperature: [...]}` per quantity. Numeric filters pass words (`ON`) unchanged.",
        "",
    ]
    for name, cls in FILTERS.items():
        shorthand = f" Shorthand: `- {name}: <{cls.shorthand}>`." if cls.shorthand else ""
        lines += [f"### `{name}`", "", f"{cls.summary[0].upper()}{cls.summary[1:]}.{shorthand}", ""]
        lines += [options_table(cls), ""]
    return lines


def agent_types_section(registry: Registry) -> list[str]:
    lines = ["## Agent types", ""]
    for name in registry.names():
        cls = registry.drivers[name]
        lines += [f"### `{name}`", "", f"{cls.summary}.", ""]
        table = options_table(cls.Options)
        lines += [table if table.count("\n") > 1 else "No options of its own.", ""]
    return lines


def render_reference(registry: Registry | None = None) -> str:
    registry = registry or default_registry()
    lines = [INTRO]
    for title, cls, text in SECTIONS:
        lines += [f"## {title}", ""] + ([text, ""] if text else []) + [options_table(cls), ""]
    lines += filters_section()
    lines += agent_types_section(registry)
    return "\n".join(lines).rstrip() + "\n"
