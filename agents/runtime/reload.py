"""Notice config changes: SIGHUP, or a changed mtime/size of the main file or any drop-in."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from agents.config.appliance import ApplianceConfig, drop_in_files
from agents.config.errors import ConfigError
from agents.config.loader import load_config
from agents.runtime.runtime import Changes, Runtime

log = logging.getLogger(__name__)

Fingerprint = tuple[tuple[str, int, int], ...]


def fingerprint(main_file: Path) -> Fingerprint:
    """Name, mtime and size of the main file and each drop-in (added and removed drop-ins count)."""
    entries = []
    for path in [main_file, *drop_in_files(main_file)]:
        try:
            stat = path.stat()
            entries.append((str(path), stat.st_mtime_ns, stat.st_size))
        except OSError:
            entries.append((str(path), -1, -1))
    return tuple(entries)


class Reloader:
    """Reloads ``runtime`` from ``config_file`` when asked or when the files change."""

    def __init__(self, runtime: Runtime, config_file: Path, report: Callable[[str], None] = log.info) -> None:
        self.runtime = runtime
        self.config_file = Path(config_file)
        self.report = report
        self.seen = fingerprint(self.config_file)
        self.adjust: Callable[[ApplianceConfig], None] = lambda config: None  # e.g. the demo's broker port

    def check(self) -> Changes | None:
        """Reload if the files changed since last time; None when nothing changed or the config is bad."""
        current = fingerprint(self.config_file)
        if current == self.seen:
            return None
        self.seen = current
        return self.reload()

    def reload(self) -> Changes | None:
        """Load and apply the config; on errors report them and keep the running agents."""
        try:
            config = load_config(self.config_file)
        except ConfigError as error:
            self.report(f"config not reloaded, the running agents continue:\n{error}")
            return None
        self.adjust(config)
        changes = self.runtime.apply(config)
        self.report(f"config reloaded: {changes}")
        return changes
