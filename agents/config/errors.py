"""Config errors that carry a file, a line, a column and the YAML path of the offending value."""

from __future__ import annotations

from dataclasses import dataclass

YamlPath = tuple[str | int, ...]


def format_path(path: YamlPath) -> str:
    """``("agents", 2, "address")`` -> ``agents[2].address``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


@dataclass(frozen=True)
class Mark:
    """A position in a config file; line and column count from 1 as editors show them."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in a config file."""

    mark: Mark
    path: YamlPath
    message: str

    def __str__(self) -> str:
        where = format_path(self.path)
        return f"{self.mark}: {where}: {self.message}" if where else f"{self.mark}: {self.message}"


class ConfigError(ValueError):
    """Every problem found in a config (all at once, in file order)."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = sorted(issues, key=lambda issue: (issue.mark.file, issue.mark.line, issue.mark.column))
        super().__init__("\n".join(str(issue) for issue in self.issues))
