"""One broker per test module, started with short timeouts, with a bystander streaming throughout.

A module may set ``BROKER_CONFIG`` (a dict for the ``broker:`` section) to change the broker's
limits; the defaults keep the CONNECT timeout short so half-open cases finish quickly.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.broker.badinput.bystander import Bystander
from tests.support.brokers import RunningBroker, perch_broker

DEFAULT_CONFIG = {"connect_timeout": 1.0, "receive_maximum": 5, "sys_interval": 0}


@dataclass
class Arena:
    broker: RunningBroker
    bystander: Bystander
    config: dict


@pytest.fixture(scope="module")
def arena(request: pytest.FixtureRequest) -> Iterator[Arena]:
    config = {**DEFAULT_CONFIG, **getattr(request.module, "BROKER_CONFIG", {})}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "perch.yaml"
        path.write_text(yaml.safe_dump({"broker": config}))
        with perch_broker("--config", str(path), websockets=False) as broker:
            bystander = Bystander(broker.host, broker.port)
            bystander.start()
            try:
                yield Arena(broker, bystander, config)
            finally:
                bystander.stop()
