"""The ``broker.persistence`` section: where the store lives and how it batches syncs."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, fields
from typing import Any


class PersistenceConfigError(ValueError):
    def __init__(self, path: str, message: str) -> None:
        self.path, self.message = path, message
        super().__init__(f"{path}: {message}")


@dataclass(frozen=True)
class PersistenceConfig:
    """``{path: /var/lib/perch/broker, sync_interval: 0.5, compact_factor: 4, min_compact_bytes: 1048576}``.

    ``path`` is a folder. ``sync_interval`` > 0 holds acknowledgements up to that many seconds so
    the card sees at most one sync per interval (see docs/persistence.md for the measured effect).
    """

    path: str
    sync_interval: float = 0.5  # SD-card friendly (docs/persistence.md); 0 syncs every iteration
    compact_factor: float = 4.0
    min_compact_bytes: int = 1024 * 1024

    @classmethod
    def from_mapping(cls, data: Any, where: str = "broker.persistence") -> PersistenceConfig:
        if not isinstance(data, dict):
            raise PersistenceConfigError(where, "expected a mapping with at least path")
        names = [f.name for f in fields(cls)]
        for key in data:
            if key not in names:
                close = difflib.get_close_matches(str(key), names, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise PersistenceConfigError(f"{where}.{key}", f"unknown key{hint}")
        if not isinstance(data.get("path"), str) or not data["path"]:
            raise PersistenceConfigError(f"{where}.path", "expected the folder for the store")
        config = cls(**data)
        _check_number(f"{where}.sync_interval", config.sync_interval, 0, 60)
        _check_number(f"{where}.compact_factor", config.compact_factor, 1.5, 1000)
        _check_number(f"{where}.min_compact_bytes", config.min_compact_bytes, 4096, 1 << 34)
        return config

    def open_options(self) -> dict[str, float]:
        """Keyword arguments for ``Store.open(config.path, **config.open_options())``."""
        return {
            "sync_interval": self.sync_interval,
            "compact_factor": self.compact_factor,
            "min_compact_bytes": self.min_compact_bytes,
        }


def _check_number(path: str, value: Any, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise PersistenceConfigError(path, f"expected a number from {low:g} to {high:g}, got {value!r}")
