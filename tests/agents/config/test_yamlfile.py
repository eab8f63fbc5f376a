import pytest

from agents.config.errors import ConfigError, Mark
from agents.config.yamlfile import load_yaml, parse_yaml

TEXT = """node: greenhouse
agents:
  - name: climate
    address: 0x76
    initial: off
"""


def test_values_are_plain_python_with_positions():
    document = parse_yaml(TEXT, "perch.yaml")
    assert document.data == {
        "node": "greenhouse",
        "agents": [{"name": "climate", "address": 118, "initial": False}],
    }
    assert document.values[("agents", 0, "address")] == Mark("perch.yaml", 4, 14)
    assert document.keys[("agents", 0, "address")] == Mark("perch.yaml", 4, 5)


def test_scalars_keep_their_written_form_for_messages():
    document = parse_yaml(TEXT, "perch.yaml")
    assert document.text(("agents", 0, "address"), 118) == "0x76"
    assert document.text(("agents", 0, "initial"), False) == "off"


def test_unknown_paths_fall_back_to_the_nearest_parent():
    document = parse_yaml(TEXT, "perch.yaml")
    assert document.mark(("agents", 0, "missing", "deeper")) == Mark("perch.yaml", 3, 5)


def test_syntax_error_has_file_line_column():
    with pytest.raises(ConfigError) as caught:
        parse_yaml("node: a\nagents: [1, 2\nmqtt: {}\n", "bad.yaml")
    assert str(caught.value).startswith("bad.yaml:3:")
    assert "YAML syntax" in str(caught.value)


def test_duplicate_keys_are_errors():
    with pytest.raises(ConfigError, match=r"dup.yaml:2:1: node: duplicate key"):
        parse_yaml("node: a\nnode: b\n", "dup.yaml")


def test_empty_file_is_an_empty_mapping():
    assert parse_yaml("", "empty.yaml").data == {}


def test_unreadable_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_yaml(tmp_path / "absent.yaml")
