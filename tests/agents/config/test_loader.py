from pathlib import Path

import pytest

from agents.config.errors import ConfigError
from agents.config.loader import load_config, parse_path
from agents.drivers.registry import Registry
from tests.agents.fakes import Counter, Switch

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def registry():
    registry = Registry()
    registry.add(Counter, "test")
    registry.add(Switch, "test")
    return registry


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def errors_of(path: Path, registry: Registry) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, registry)
    return [str(issue) for issue in caught.value.issues]


def test_the_issue_example_message_for_a_bad_i2c_address(tmp_path):
    path = write(tmp_path, "perch.yaml", """node: greenhouse
agents:
  - {name: a, type: system}
  - {name: b, type: system}
  - name: climate
    type: bme280
    address: 0x99
""")  # fmt: skip
    assert errors_of(path, Registry(drivers=_builtin())) == [
        f"{path}:7:14: agents[2].address: expected an I2C address 0x03-0x77, got 0x99"
    ]


def _builtin():
    from agents.drivers.registry import default_registry

    return dict(default_registry().drivers)


def test_valid_config_with_defaults(tmp_path, registry):
    path = write(tmp_path, "perch.yaml", """node: shed
agents:
  - {name: tally, type: test_counter, interval: 500ms, filters: [{multiply: 2}]}
  - {name: fan, type: test_switch, enabled: false}
mqtt: {host: broker.lan, port: 1884, username: agents}
""")  # fmt: skip
    config = load_config(path, registry)
    assert (config.node, config.topic_prefix, config.base_topic) == ("shed", "perch", "perch/shed")
    assert (config.mqtt.host, config.mqtt.port, config.mqtt.username, config.mqtt.keepalive) == (
        "broker.lan", 1884, "agents", 60.0)  # fmt: skip
    tally, fan = config.agents
    assert (tally.name, tally.driver, tally.interval, tally.enabled) == ("tally", Counter, 0.5, True)
    assert [type(step).__name__ for step in tally.filters[None]] == ["Multiply"]
    assert tally.options == Counter.Options()
    assert fan.enabled is False
    assert config.files == [path]


def test_unknown_type_and_keys_get_did_you_mean(tmp_path, registry):
    path = write(tmp_path, "perch.yaml", """agents:
  - {name: a, type: test_countr}
  - {name: b, type: test_counter, strat: 3, intervl: 5s}
  - {name: c, type: test_counter, filters: [{ofset: 1}]}
nodee: x
""")  # fmt: skip
    assert errors_of(path, registry) == [
        f"{path}:2:21: agents[0].type: unknown agent type 'test_countr' (did you mean 'test_counter'?)",
        f"{path}:3:35: agents[1].strat: unknown option 'strat' (did you mean 'start'?)",
        f"{path}:3:45: agents[1].intervl: unknown option 'intervl' (did you mean 'interval'?)",
        f"{path}:4:46: agents[2].filters[0].ofset: unknown filter 'ofset' (did you mean 'offset'?)",
        f"{path}:5:1: nodee: unknown option 'nodee' (did you mean 'node'?)",
    ]


def test_drop_ins_are_loaded_and_their_errors_name_their_own_file(tmp_path, registry):
    path = write(tmp_path, "perch.yaml", "node: n\nagents:\n  - {name: main, type: test_counter}\n")
    write(tmp_path, "agents.d/10-good.yaml", "- {name: extra, type: test_counter}\n")
    bad = write(
        tmp_path,
        "agents.d/20-bad.yaml",
        "agents:\n  - name: broken\n    type: test_counter\n    start: lots\n",
    )
    assert errors_of(path, registry) == [f"{bad}:4:12: agents[0].start: expected a whole number, got lots"]
    bad.unlink()
    config = load_config(path, registry)
    assert [agent.name for agent in config.agents] == ["main", "extra"]
    assert config.agents[1].file == str(tmp_path / "agents.d/10-good.yaml")


def test_agent_names_must_be_unique_and_topic_safe(tmp_path, registry):
    path = write(
        tmp_path,
        "perch.yaml",
        "agents:\n  - {name: a, type: test_counter}\n  - {name: 'x/y', type: test_switch}\n",
    )
    write(tmp_path, "agents.d/more.yaml", "- {name: a, type: test_switch}\n")
    errors = errors_of(path, registry)
    assert (
        f"{path}:3:12: agents[1].name: expected a topic-safe name (letters, digits, _ and -), got 'x/y'"
        in errors
    )
    assert (
        f"{tmp_path}/agents.d/more.yaml:1:10: agent name 'a' is used twice (first at {path}:2:12)" in errors
    )


def test_module_plugins_load_local_classes(tmp_path, registry):
    path = write(tmp_path, "perch.yaml", """agents:
  - {name: local, module: "tests.agents.fakes:Counter", start: 5}
  - {name: missing, module: "no.such.module:Thing"}
""")  # fmt: skip
    errors = errors_of(path, registry)
    assert len(errors) == 1 and errors[0].startswith(
        f"{path}:3:29: agents[1].module: cannot import 'no.such.module'"
    )
    path.write_text('agents:\n  - {name: local, module: "tests.agents.fakes:Counter", start: 5}\n')
    assert load_config(path, registry).agents[0].options.start == 5


def test_per_quantity_filters(tmp_path, registry):
    path = write(tmp_path, "perch.yaml", """agents:
  - name: a
    type: test_counter
    filters:
      count: [{offset: 1}, {median: {window_size: 3, send_every: 1}}]
""")  # fmt: skip
    filters = load_config(path, registry).agents[0].filters
    assert list(filters) == ["count"]
    assert [step.name for step in filters["count"]] == ["offset", "median"]


def test_broker_section_is_checked_by_the_broker_schema(tmp_path, registry):
    pytest.importorskip("broker.config", reason="the broker's schema is not in this build")
    path = write(tmp_path, "perch.yaml", "broker:\n  listeners:\n    - {port: 1883}\n    - {port: 99999}\n")
    errors = errors_of(path, registry)
    assert len(errors) == 1
    assert errors[0].startswith(f"{path}:4:14: broker.listeners[1].port:")


def test_parse_path():
    assert parse_path("broker.listeners[1].port") == ("broker", "listeners", 1, "port")


def test_the_demo_example_is_valid():
    config = load_config(REPO / "examples" / "demo.yaml")
    assert config.simulate is True
    assert len(config.agents) >= 10
    assert len({agent.type for agent in config.agents}) >= 8
