"""The ``broker.persistence`` section."""

from __future__ import annotations

from pathlib import Path

import pytest

from broker.persistence import Store
from broker.persistence.config import PersistenceConfig, PersistenceConfigError


def test_defaults_and_opening_a_store(tmp_path: Path) -> None:
    config = PersistenceConfig.from_mapping({"path": str(tmp_path / "broker"), "sync_interval": 0.5})
    assert (config.compact_factor, config.min_compact_bytes) == (4.0, 1024 * 1024)
    store, _ = Store.open(config.path, **config.open_options())
    assert store.sync_interval == 0.5
    store.close()


@pytest.mark.parametrize(
    ("data", "path", "words"),
    [
        ({}, "broker.persistence.path", "folder"),
        (
            {"path": "/x", "sync_intervall": 1},
            "broker.persistence.sync_intervall",
            "did you mean 'sync_interval'",
        ),
        ({"path": "/x", "sync_interval": -1}, "broker.persistence.sync_interval", "from 0 to 60"),
        ({"path": "/x", "compact_factor": True}, "broker.persistence.compact_factor", "a number"),
        ("/x", "broker.persistence", "mapping"),
    ],
)
def test_errors_name_the_path(data: object, path: str, words: str) -> None:
    with pytest.raises(PersistenceConfigError) as caught:
        PersistenceConfig.from_mapping(data)
    assert caught.value.path == path and words in str(caught.value)
