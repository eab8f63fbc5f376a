"""Load YAML into plain Python values while remembering where every key and value came from.

pyyaml's ``compose`` gives a node tree whose nodes carry start marks; we build the values from it
ourselves so that each value's position is kept in a side table keyed by its YAML path. No extra
dependency, and the loaded data stays plain dicts, lists and scalars.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from agents.config.errors import ConfigError, ConfigIssue, Mark, YamlPath


@dataclass
class Document:
    """One YAML file's data plus the positions of its values and mapping keys."""

    file: str
    data: Any
    values: dict[YamlPath, Mark] = field(default_factory=dict)
    keys: dict[YamlPath, Mark] = field(default_factory=dict)
    texts: dict[YamlPath, str] = field(default_factory=dict)  # scalars as written (0x99, off)

    def mark(self, path: YamlPath, *, key: bool = False) -> Mark:
        """The position of ``path`` (of its key when ``key``), or of its nearest known parent."""
        table = self.keys if key else self.values
        if path in table:
            return table[path]
        for end in range(len(path) - 1, -1, -1):
            if path[:end] in self.values:
                return self.values[path[:end]]
        return Mark(self.file, 1, 1)

    def text(self, path: YamlPath, value: Any) -> str:
        """How the scalar at ``path`` was written, for messages (``0x99`` rather than 153)."""
        return self.texts.get(path, repr(value) if isinstance(value, str) else str(value))

    def alias(self, source: YamlPath, target: YamlPath) -> None:
        """Let ``target`` (a path the caller invented, e.g. a shorthand's option) share ``source``'s place."""
        if source in self.values:
            self.values[target] = self.values[source]
        if source in self.texts:
            self.texts[target] = self.texts[source]

    def issue(self, path: YamlPath, message: str, *, key: bool = False) -> ConfigIssue:
        return ConfigIssue(self.mark(path, key=key), path, message)


def _mark(file: str, node: yaml.Node) -> Mark:
    return Mark(file, node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    def __init__(self, file: str, loader: yaml.SafeLoader) -> None:
        self.document = Document(file, None)
        self.loader = loader
        self.issues: list[ConfigIssue] = []

    def build(self, node: yaml.Node, path: YamlPath) -> Any:
        self.document.values[path] = _mark(self.document.file, node)
        if isinstance(node, yaml.MappingNode):
            return self.build_mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
        self.document.texts[path] = node.value
        return self.construct(node)

    def construct(self, node: yaml.Node) -> Any:
        """A scalar's value; a tag that does not fit its text (``!!float x``) is a config error.

        pyyaml's constructors fail on such text with whatever the parsing step raised (ValueError,
        KeyError, AttributeError for ``!!timestamp x``), so everything but its own marked errors is caught.
        """
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError:
            raise
        except Exception as error:
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            issue = ConfigIssue(
                _mark(self.document.file, node), (), f"YAML: {node.value!r} is not a valid {tag}"
            )
            raise ConfigError([issue]) from error

    def build_mapping(self, node: yaml.MappingNode, path: YamlPath) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        self.loader.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.construct(key_node)
            if not isinstance(key, str | int | float | bool) or key is None:
                mark = _mark(self.document.file, key_node)
                self.issues.append(ConfigIssue(mark, path, f"mapping keys must be words, got {key!r}"))
                continue
            if key in result:
                mark = _mark(self.document.file, key_node)
                self.issues.append(ConfigIssue(mark, (*path, key), "duplicate key"))
                continue
            self.document.keys[(*path, key)] = _mark(self.document.file, key_node)
            result[key] = self.build(value_node, (*path, key))
        return result


def _reader_issue(text: str, file: str, error: yaml.reader.ReaderError) -> ConfigIssue:
    """A character YAML refuses (NUL, other control characters), placed by its index in ``text``."""
    before = text[: error.position]
    line, column = before.count("\n") + 1, error.position - (before.rfind("\n") + 1) + 1
    character = error.character if isinstance(error.character, int) else ord(error.character)
    message = f"YAML: unacceptable character #x{character:04x}: {error.reason}"
    return ConfigIssue(Mark(file, line, column), (), message)


def parse_yaml(text: str, file: str) -> Document:
    """Parse ``text``; raise ConfigError (with positions) on syntax errors and duplicate keys."""
    try:
        loader = yaml.SafeLoader(text)  # checks every character up front (ReaderError on NUL and the like)
    except yaml.reader.ReaderError as error:
        raise ConfigError([_reader_issue(text, file, error)]) from error
    try:
        root = loader.get_single_node()
        builder = _Builder(file, loader)
        builder.document.data = {} if root is None else builder.build(root, ())
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = " ".join(part for part in (error.context, error.problem) if part)
        raise ConfigError([ConfigIssue(Mark(file, line, column), (), f"YAML syntax: {problem}")]) from error
    except yaml.reader.ReaderError as error:
        raise ConfigError([_reader_issue(text, file, error)]) from error
    except yaml.YAMLError as error:
        raise ConfigError([ConfigIssue(Mark(file, 1, 1), (), f"YAML: {error}")]) from error
    finally:
        loader.dispose()
    if builder.issues:
        raise ConfigError(builder.issues)
    return builder.document


def load_yaml(path: Path) -> Document:
    """Read and parse one file; unreadable files are config errors too."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError([ConfigIssue(Mark(str(path), 1, 1), (), f"cannot read: {error}")]) from error
    return parse_yaml(text, str(path))
