"""Bounded fuzzing of the appliance config loader (agents/config/loader.py) with random and mutated YAML.

The invariant: ``load_config`` returns a config, or raises ConfigError whose every issue has a
``file:line:col`` position; never any other exception. Inputs are examples/demo.yaml and small valid
configs, mutated (byte flips, deleted/duplicated/swapped lines, random scalars, wrong types, bad
indentation), plus wholly random text. ``PERCH_FUZZ_EXAMPLES`` raises the number of examples.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.config.appliance import DROP_IN_FOLDER, ApplianceConfig
from agents.config.errors import ConfigError
from agents.config.loader import load_config
from agents.drivers.registry import default_registry

EXAMPLES = int(os.environ.get("PERCH_FUZZ_EXAMPLES", "150"))
REPOSITORY = Path(__file__).resolve().parents[3]
DEMO = (REPOSITORY / "examples" / "demo.yaml").read_bytes()
REGISTRY = default_registry()  # built once: the fuzzed part is the YAML, not driver discovery

SMALL_CONFIGS = [
    b"node: barn\n",
    b"node: barn\ntopic_prefix: farm/sensors\nsimulate: true\n",
    b"agents:\n  - name: door\n    type: contact\n    pin: GPIO17\n",
    b"agents:\n  - {name: t, type: bme280, address: 0x76, interval: 2s}\n",
    b"node: n\nagents:\n  - name: soil\n    type: mcp3008\n    channels: {0: moisture}\n"
    b"    filters: [{round: 0}, {offset: -1}]\n",
    b"mqtt: {host: localhost, port: 1883, username: agents, password_file: /etc/perch/agents.secret}\n",
    b"broker:\n  listeners:\n    - {port: 1883, bind: 0.0.0.0}\n  allow_anonymous: false\n",
    b"node: n\nspool: {max_messages: 100}\nhome_assistant: {discovery: false}\n",
]
SEEDS = [DEMO, *SMALL_CONFIGS]

# Scalars and fragments that YAML and the schema treat specially: wrong types, tags, anchors, odd numbers.
ODD_VALUES = [
    b"", b"~", b"null", b"[]", b"{}", b"-1", b"0", b"0x", b"0x1ff", b"1e999", b"-.inf", b".nan", b"yes",
    b"off", b"99999999999999999999999", b"-5s", b"2 fortnights", b"1:2:3", b"GPIO999", b"GPIO-1",
    b"'unterminated",
    b'"\\x00"', b"!!binary AAAA", b"!!python/object:os.system", b"!!set {a, b}", b"!!float x", b"!!int 1.5",
    b"!!bool maybe", b"!!timestamp 2001-13-45", b"!!null x", b"!!str [a]", b"!!map [a]", b"!!seq {a: 1}",
    b"2001-12-14", b"*nowhere", b"&anchor value", b"[1, [2, {3: 4}]]", b"{a: {b: c}}", b"{0: x, 0: y}",
    b"- item", b"? key", b"<<: {a: 1}", b"|\n  block", b"%", b"@", b"`", b"\t", b"\xff\xfe",
    b"\xc3\xa9t\xc3\xa9",
]  # fmt: skip


def _lines(text: bytes) -> list[bytes]:
    return text.split(b"\n")


def _flip_byte(text: bytes, data: st.DataObject) -> bytes:
    if not text:
        return text
    index = data.draw(st.integers(0, len(text) - 1))
    byte = data.draw(st.one_of(st.integers(0, 255), st.sampled_from(list(b":-[]{}#&*!|>'\"\t\n ,?%@"))))
    return text[:index] + bytes([byte]) + text[index + 1 :]


def _delete_line(text: bytes, data: st.DataObject) -> bytes:
    lines = _lines(text)
    del lines[data.draw(st.integers(0, len(lines) - 1))]
    return b"\n".join(lines)


def _duplicate_line(text: bytes, data: st.DataObject) -> bytes:
    lines = _lines(text)
    index = data.draw(st.integers(0, len(lines) - 1))
    lines.insert(data.draw(st.integers(0, len(lines))), lines[index])
    return b"\n".join(lines)


def _replace_value(text: bytes, data: st.DataObject) -> bytes:
    """Swap what follows a ``key:`` (or a list dash) for an odd scalar, a random word, or a wrong type."""
    lines = _lines(text)
    index = data.draw(st.integers(0, len(lines) - 1))
    line = lines[index]
    cut = line.find(b": ") + 2 if b": " in line else line.find(b"- ") + 2 if b"- " in line else len(line)
    random_word = st.text(max_size=12).map(lambda word: word.encode("utf-8", "surrogatepass"))
    value = data.draw(st.one_of(st.sampled_from(ODD_VALUES), random_word))
    lines[index] = line[:cut] + value
    return b"\n".join(lines)


def _reindent(text: bytes, data: st.DataObject) -> bytes:
    lines = _lines(text)
    index = data.draw(st.integers(0, len(lines) - 1))
    stripped = lines[index].lstrip(b" ")
    lines[index] = data.draw(st.sampled_from([b"", b" ", b"   ", b"\t", b"        "])) + stripped
    return b"\n".join(lines)


MUTATIONS = [_flip_byte, _delete_line, _duplicate_line, _replace_value, _reindent]


@st.composite
def config_texts(draw: st.DrawFn) -> bytes:
    """A seed config under 1-4 mutations, or (now and then) random text or bytes."""
    kind = draw(st.sampled_from(["mutated"] * 6 + ["text", "bytes"]))
    if kind == "text":
        return draw(
            st.text(alphabet=st.sampled_from(list(":-[]{}#&*!|>'\"\t\n ,?%ab01x.~")), max_size=80)
        ).encode()
    if kind == "bytes":
        return draw(st.binary(max_size=80))
    text = draw(st.sampled_from(SEEDS))
    data = draw(st.data())
    for mutate in draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=4)):
        text = mutate(text, data)
    return text


def assert_loads_or_reports_positions(main: bytes, drop_in: bytes | None = None) -> None:
    with tempfile.TemporaryDirectory(prefix="perch-config-fuzz-") as folder:
        path = Path(folder) / "perch.yaml"
        path.write_bytes(main)
        if drop_in is not None:
            (Path(folder) / DROP_IN_FOLDER).mkdir()
            (Path(folder) / DROP_IN_FOLDER / "extra.yaml").write_bytes(drop_in)
        try:
            config = load_config(path, REGISTRY)
        except ConfigError as error:
            assert error.issues, "a ConfigError must say what is wrong"
            for issue in error.issues:
                assert issue.mark.file and issue.mark.line >= 1 and issue.mark.column >= 1, str(issue)
                assert str(issue).startswith(f"{issue.mark.file}:{issue.mark.line}:{issue.mark.column}")
            return
        assert isinstance(config, ApplianceConfig)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(main=config_texts(), drop_in=st.none() | config_texts())
def test_mutated_configs_load_or_fail_with_positions(main: bytes, drop_in: bytes | None) -> None:
    assert_loads_or_reports_positions(main, drop_in)


@pytest.mark.parametrize("seed", SEEDS, ids=range(len(SEEDS)))
def test_the_unmutated_seeds_are_valid(seed: bytes) -> None:
    """The seeds must load, or the fuzz run would only ever mutate already-broken configs."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "perch.yaml"
        path.write_bytes(seed)
        assert isinstance(load_config(path, REGISTRY), ApplianceConfig)


# Crashes the fuzz run found (each was an uncaught pyyaml exception), with where the error must point.
FOUND_BY_FUZZING = [
    (b"\x00 node: demo\n", 1, 1, "unacceptable character #x0000"),  # ReaderError from SafeLoader()
    (b"node: demo\nstate_dir: /tmp/a\x01b\n", 2, 18, "unacceptable character #x0001"),
    (b"node: !!float x\n", 1, 7, "'x' is not a valid !!float"),  # ValueError from the constructor
    (b"node: n\nsimulate: !!bool maybe\n", 2, 11, "'maybe' is not a valid !!bool"),  # KeyError
    (b"node: !!timestamp x\n", 1, 7, "'x' is not a valid !!timestamp"),  # AttributeError
    (b"{!!int 1.5: x}\n", 1, 2, "'1.5' is not a valid !!int"),  # in a mapping key
]


@pytest.mark.parametrize(("text", "line", "column", "message"), FOUND_BY_FUZZING)
def test_crashes_found_by_fuzzing_are_config_errors(
    text: bytes, line: int, column: int, message: str
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "perch.yaml"
        path.write_bytes(text)
        with pytest.raises(ConfigError) as raised:
            load_config(path, REGISTRY)
    [issue] = raised.value.issues
    assert (issue.mark.file, issue.mark.line, issue.mark.column) == (str(path), line, column)
    assert message in issue.message
