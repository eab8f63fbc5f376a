"""Load and validate the appliance config: the main file, its drop-ins, every agent entry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agents.config.appliance import (
    TOPIC_PREFIX,
    TOPIC_WORD,
    AgentCommon,
    AgentConfig,
    ApplianceConfig,
    TopLevel,
    default_node,
    drop_in_files,
)
from agents.config.errors import ConfigError, ConfigIssue, YamlPath
from agents.config.schema import INVALID, Schema, field_names, suggestion
from agents.config.yamlfile import load_yaml
from agents.drivers.registry import Registry, load_module_driver, on_demand_registry

COMMON_FIELDS = field_names(AgentCommon)


def resolve_driver(schema: Schema, registry: Registry, data: dict[str, Any], path: YamlPath) -> type | None:
    """The driver class an entry names through ``type`` or ``module``; None after recording why not."""
    if data.get("module") is not None:
        try:
            return load_module_driver(str(data["module"]))
        except ValueError as error:
            schema.error((*path, "module"), str(error))
            return None
    type_name = data.get("type")
    if type_name is None:
        schema.error(path, "missing required option 'type'")
        return None
    driver = registry.get(str(type_name))
    if driver is None:
        hint = (
            suggestion(str(type_name), registry.names()) or f" (known types: {', '.join(registry.names())})"
        )
        schema.error((*path, "type"), f"unknown agent type {type_name!r}{hint}")
    return driver


def build_agent(schema: Schema, registry: Registry, data: Any, path: YamlPath) -> AgentConfig | None:
    """One entry of ``agents:``; errors are recorded on ``schema``."""
    from agents.filters import parse_filters

    if not isinstance(data, dict):
        schema.error(path, "expected an agent: a mapping with at least name and type")
        return None
    driver = resolve_driver(schema, registry, data, path)
    option_names = (
        field_names(driver.Options) if driver else [key for key in data if key not in COMMON_FIELDS]
    )
    common_data = {key: value for key, value in data.items() if key not in option_names}
    common = schema.build(AgentCommon, common_data, path, ignore=option_names)
    options = INVALID
    if driver is not None:
        options = schema.build(driver.Options, {k: v for k, v in data.items() if k in option_names}, path)
    filters = parse_filters(schema, data.get("filters"), (*path, "filters"))
    if common is INVALID or options is INVALID or filters is None or driver is None:
        return None
    if not TOPIC_WORD.match(common.name):
        schema.error(
            (*path, "name"), f"expected a topic-safe name (letters, digits, _ and -), got {common.name!r}"
        )
        return None
    return AgentConfig(
        name=common.name,
        type=driver.type_name,
        interval=common.interval,
        filters=filters,
        enabled=common.enabled,
        driver=driver,
        options=options,
        raw=data,
        file=schema.document.file,
        mark=schema.document.mark((*path, "name")),
    )


def agent_entries(schema: Schema, data: Any, path: YamlPath) -> list[tuple[Any, YamlPath]]:
    if data is None:
        return []
    if not isinstance(data, list):
        schema.error(path, "expected a list of agents")
        return []
    return [(item, (*path, index)) for index, item in enumerate(data)]


def validate_broker_section(schema: Schema, data: Any) -> None:
    """Hand ``broker:`` to the broker's own schema when the broker provides one."""
    if data is None:
        return
    if not isinstance(data, dict):
        schema.error(("broker",), "expected a mapping")
        return
    try:
        from broker.config import BrokerConfig  # type: ignore[import-not-found]
    except ImportError:
        return
    from_mapping = getattr(BrokerConfig, "from_mapping", None)
    if from_mapping is None:
        return
    try:
        from_mapping(data)
    except ConfigError as error:
        schema.issues.extend(error.issues)
    except (TypeError, ValueError, KeyError) as error:
        where = getattr(error, "path", None)
        if isinstance(where, str) and hasattr(error, "message"):
            schema.error(parse_path(where), str(error.message))
        else:
            schema.error(("broker",), str(error))


def parse_path(text: str) -> YamlPath:
    """``broker.listeners[1].port`` -> ``("broker", "listeners", 1, "port")``."""
    path: list[str | int] = []
    for part in text.split("."):
        name, *indexes = part.replace("]", "").split("[")
        path += [name] if name else []
        path += [int(index) for index in indexes if index.isdigit()]
    return tuple(path)


def check_top_level(schema: Schema, top: TopLevel) -> None:
    if top.node is not None and not TOPIC_WORD.match(top.node):
        schema.error(("node",), f"expected a topic-safe word (letters, digits, _ and -), got {top.node!r}")
    if not TOPIC_PREFIX.match(top.topic_prefix):
        schema.error(("topic_prefix",), f"expected topic levels without wildcards, got {top.topic_prefix!r}")
    if top.image is not None and not isinstance(top.image, dict):
        schema.error(("image",), "expected a mapping")


def load_drop_in(registry: Registry, path: Path, issues: list[ConfigIssue]) -> list[AgentConfig]:
    """A drop-in file holds a list of agents, or a mapping with just ``agents:``."""
    try:
        document = load_yaml(path)
    except ConfigError as error:
        issues.extend(error.issues)
        return []
    schema = Schema(document)
    data, where = document.data, ()
    if isinstance(data, dict):
        for key in data:
            if key != "agents":
                schema.error((key,), f"a drop-in holds only agents{suggestion(key, ['agents'])}", key=True)
        data, where = data.get("agents"), ("agents",)
    agents = [build_agent(schema, registry, item, p) for item, p in agent_entries(schema, data, where)]
    issues.extend(schema.issues)
    return [agent for agent in agents if agent is not None]


def check_unique_names(agents: list[AgentConfig], issues: list[ConfigIssue]) -> None:
    seen: dict[str, AgentConfig] = {}
    for agent in agents:
        if agent.name in seen:
            message = f"agent name {agent.name!r} is used twice (first at {seen[agent.name].mark})"
            issues.append(ConfigIssue(agent.mark, (), message))
        seen.setdefault(agent.name, agent)


def load_config(path: Path | str, registry: Registry | None = None) -> ApplianceConfig:
    """The validated config of ``path`` and its ``agents.d/*.yaml``.

    Raises ConfigError listing every issue of every file.
    """
    path = Path(path)
    registry = registry or on_demand_registry()
    document = load_yaml(path)
    schema = Schema(document)
    top = schema.build(TopLevel, document.data, (), ignore=())
    entries = document.data.get("agents") if isinstance(document.data, dict) else None
    agents = [
        build_agent(schema, registry, item, p) for item, p in agent_entries(schema, entries, ("agents",))
    ]
    if top is not INVALID:
        check_top_level(schema, top)
        validate_broker_section(schema, top.broker)
    issues = list(schema.issues)
    found = [agent for agent in agents if agent is not None]
    drop_ins = drop_in_files(path)
    for drop_in in drop_ins:
        found += load_drop_in(registry, drop_in, issues)
    check_unique_names(found, issues)
    if issues or top is INVALID:
        raise ConfigError(issues)
    return ApplianceConfig(
        node=top.node or default_node(),
        topic_prefix=top.topic_prefix,
        simulate=top.simulate,
        state_dir=Path(top.state_dir),
        mqtt=top.mqtt,
        home_assistant=top.home_assistant,
        spool=top.spool,
        broker=top.broker,
        image=top.image,
        agents=found,
        files=[path, *drop_ins],
    )
