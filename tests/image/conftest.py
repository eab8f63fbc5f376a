"""Fixtures for the image tests: synthetic Raspberry Pi OS-like base images and built Perch images.

Images are inspected with the tools directly (sfdisk, mtools, debugfs, e2fsck), not with the builder's
own wrappers, so a builder bug cannot hide itself.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from image.wheels import perch_wheel
from tests.image.base_images import BOOT_START, make_base_image, make_tiny_root
from tests.support.tools import missing, require_tool

REPO_ROOT = Path(__file__).resolve().parents[2]
PASSWORD_HASH = "$6$perchsalt$" + "x" * 86
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPerchTestKeyOnly me@laptop"
CONFIG = f"""\
node: greenhouse
topic_prefix: perch
broker:
  listeners:
    - {{port: 1883}}
image:
  user: {{name: ada, password_hash: "{PASSWORD_HASH}", ssh_keys: ["{SSH_KEY}"]}}
  wifi: {{ssid: Home Net, passphrase: "correct horse", country: GB}}
  timezone: Europe/London
  locale: en_GB.UTF-8
  keyboard: gb
agents:
  - name: climate
    type: bme280
    address: 0x76
"""
TOOLS = (("sfdisk", "fdisk"), ("mcopy", "mtools"), ("debugfs", "e2fsprogs"), ("mkfs.vfat", "dosfstools"))


@dataclass(frozen=True)
class BuiltImage:
    path: Path
    base: Path
    result: subprocess.CompletedProcess[str]

    @property
    def table(self) -> dict:
        output = subprocess.run([_tool("sfdisk"), "--json", str(self.path)], capture_output=True, check=True)
        return json.loads(output.stdout)["partitiontable"]

    @property
    def root_spec(self) -> str:
        return f"{self.path}?offset={self.table['partitions'][1]['start'] * 512}"

    @property
    def boot_spec(self) -> str:
        return f"{self.path}@@{BOOT_START * 512}"

    def boot_file(self, name: str) -> str | None:
        result = subprocess.run([_tool("mtype"), "-i", self.boot_spec, f"::{name}"], capture_output=True)
        return result.stdout.decode() if result.returncode == 0 else None

    def root_file(self, path: str) -> bytes:
        result = subprocess.run([_tool("debugfs"), "-R", f"cat {path}", self.root_spec], capture_output=True)
        return result.stdout

    def root_stat(self, path: str) -> dict[str, str]:
        """Type, mode, owner and link target of ``path`` from ``debugfs stat``; {} when missing."""
        result = subprocess.run([_tool("debugfs"), "-R", f"stat {path}", self.root_spec], capture_output=True)
        text = result.stdout.decode(errors="replace")
        match = re.search(r"Type: (\S+)\s+Mode:\s+(\d+)", text)
        if not match:
            return {}
        owner = re.search(r"User:\s+(\d+)\s+Group:\s+(\d+)", text)
        link = re.search(r'Fast link dest: "([^"]*)"', text)
        return {
            "type": match.group(1),
            "mode": match.group(2),
            "uid": owner.group(1) if owner else "",
            "gid": owner.group(2) if owner else "",
            "link": link.group(1) if link else "",
        }


def _tool(name: str) -> str:
    return require_tool(name, dict(TOOLS).get(name, "mtools"))


@pytest.fixture(scope="session", autouse=True)
def _image_tools() -> None:
    for command, package in TOOLS:
        require_tool(command, package)


@pytest.fixture(scope="session")
def prebuilt_perch_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Perch's wheel, built once per session so every build ships the same bytes."""
    return perch_wheel(tmp_path_factory.mktemp("wheel"), 1704067200)


def make_tiny_base(folder: Path, codename: str = "bookworm", root_mb: int = 24, arch: str = "x86_64") -> Path:
    root = make_tiny_root(folder / f"root-{codename}", codename, arch)
    return make_base_image(folder / f"base-{codename}.img", root, root_mb).path


def run_build(
    base: Path,
    config: Path,
    out: Path,
    *extra: str,
    unprivileged: bool = False,
    environment: dict | None = None,
) -> subprocess.CompletedProcess:
    """Run ``perch image build``; ``unprivileged`` runs it as ``nobody``, or, where this checkout or its
    Python cannot be reached by other users, as root with every capability dropped."""
    python, environment = sys.executable, dict(environment or {})
    prefix: list[str] = []
    if unprivileged:
        setpriv = require_tool("setpriv", "util-linux")
        if _reachable_by_others(REPO_ROOT):
            python, environment = _interpreter_for_others(environment)
            prefix = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]
        else:
            prefix = [setpriv, "--bounding-set=-all", "--inh-caps=-all", f"--securebits={NO_ROOT_BITS}", "--"]
    command = [*prefix, python, "-m", "perch", "image", "build", "--base", str(base), "--config", str(config)]
    command += ["--out", str(out), *extra]
    full_environment = dict(os.environ, SOURCE_DATE_EPOCH="1704067200") | environment
    return subprocess.run(
        command, capture_output=True, text=True, cwd=REPO_ROOT, env=full_environment, timeout=300
    )


NO_ROOT_BITS = "+noroot,+noroot_locked,+no_setuid_fixup,+no_setuid_fixup_locked,+keep_caps_locked"


def _reachable_by_others(path: Path) -> bool:
    return all(os.stat(parent).st_mode & 0o001 for parent in [path, *path.parents])


def _interpreter_for_others(environment: dict) -> tuple[str, dict]:
    """A Python another user can run: this one, or (when it lives under /root, as with pyenv) the system's
    same-version Python with this environment's packages on PYTHONPATH."""
    if _reachable_by_others(Path(sys.executable).resolve().parent):
        return sys.executable, environment
    system_python = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
    if not system_python.exists():
        missing(f"{sys.executable} is not reachable for other users and {system_python} is missing")
    paths = [str(REPO_ROOT), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    return str(system_python), environment | {"PYTHONPATH": os.pathsep.join(dict.fromkeys(paths))}


@pytest.fixture(scope="session")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("config") / "perch.yaml"
    path.write_text(CONFIG)
    return path


def _built(tmp_path_factory: pytest.TempPathFactory, codename: str, config: Path, wheel: Path) -> BuiltImage:
    folder = tmp_path_factory.mktemp(f"built-{codename}")
    base = make_tiny_base(folder, codename)
    out = folder / "perch.img"
    result = run_build(base, config, out, "--perch-wheel", str(wheel))
    assert result.returncode == 0, result.stderr
    return BuiltImage(out, base, result)


@pytest.fixture(scope="session")
def built_bookworm(tmp_path_factory, config_file, prebuilt_perch_wheel) -> Iterator[BuiltImage]:
    yield _built(tmp_path_factory, "bookworm", config_file, prebuilt_perch_wheel)


@pytest.fixture(scope="session")
def built_trixie(tmp_path_factory, config_file, prebuilt_perch_wheel) -> Iterator[BuiltImage]:
    yield _built(tmp_path_factory, "trixie", config_file, prebuilt_perch_wheel)
