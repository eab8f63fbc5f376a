"""Fixtures shared by the provisioning and Ansible tests: SSH keys, a work folder, the test Pis' wheels."""

from __future__ import annotations

import platform
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.provisioning.testpi import SshKeys, make_keys
from tests.support.tools import require_root

WHEELS_KEY = pytest.StashKey[Path]()
TEST_PI_PYTHON = "3.11"  # Debian 12's python3, the test Pi's


def shared_wheel_folder(config: pytest.Config) -> Path:
    """Wheels for the test Pis (this CPU, Debian 12's Python), built once per session for all tests."""
    from provisioning.wheels import build_wheel_folder

    if WHEELS_KEY not in config.stash:
        folder = Path(tempfile.mkdtemp(prefix="perch-test-wheels-"))
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
        build_wheel_folder(folder, platform.machine(), TEST_PI_PYTHON)
        config.stash[WHEELS_KEY] = folder
    return config.stash[WHEELS_KEY]


@pytest.fixture(scope="session")
def wheel_folder(request: pytest.FixtureRequest) -> Path:
    require_root()
    return shared_wheel_folder(request.config)


@pytest.fixture(scope="module")
def ssh_keys() -> Iterator[SshKeys]:
    folder = Path(tempfile.mkdtemp(prefix="perch-test-ssh-"))
    try:
        yield make_keys(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def pi_work_folder() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="perch-test-pi-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
