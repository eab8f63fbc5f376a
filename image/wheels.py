"""Perch and its runtime dependencies as wheels for the Pi, so first boot needs no network.

Dependencies come from the package index as binary wheels for the target's CPU and Python
(``pip download --only-binary=:all: --platform manylinux_2_17_<arch> ... --python-version 3.11``) and are kept
in ``~/.cache/perch/wheels/<python>-<arch>/``; a later build resolves from that cache without the network.
Perch's own wheel is built from this source tree with ``SOURCE_DATE_EPOCH`` set, so it is reproducible.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from image.errors import BadInputError, ImageError

REPO_ROOT = Path(__file__).resolve().parents[1]
# Debian 12 (Bookworm) has glibc 2.36; pip matches these tags exactly, so every older one is listed.
GLIBC_TAGS = ("2014", "_2_17", "_2_24", "_2_26", "_2_27", "_2_28", "_2_31", "_2_34", "_2_35", "_2_36")
EXTRA_REQUIREMENTS = ("pip",)  # first boot runs pip from its wheel: no python3-venv/ensurepip needed


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "perch" / "wheels"


PI_ARCHES = ("aarch64", "armv7l")


def runtime_requirements(arch: str) -> list[str]:
    """Perch's runtime dependencies from pyproject.toml, plus its ``pi`` extra (the GPIO library) for a
    Raspberry Pi's CPU; never other extras such as Fabric or the test tools."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    extras = project.get("optional-dependencies", {}).get("pi", []) if arch in PI_ARCHES else []
    return [*project["dependencies"], *extras, *EXTRA_REQUIREMENTS]


def _pip(arguments: list[str], environment: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", *arguments]
    return subprocess.run(command, capture_output=True, text=True, env=environment)


def _download(target: Path, cache: Path, arch: str, python_version: str, offline: bool) -> None:
    digits = python_version.replace(".", "")
    arguments = [
        "download", "--quiet", "--only-binary=:all:", "--dest", str(target), "--find-links", str(cache),
        *[option for tag in GLIBC_TAGS for option in ("--platform", f"manylinux{tag}_{arch}")],
        "--python-version", python_version,
        "--implementation", "cp", "--abi", f"cp{digits}", *runtime_requirements(arch),
    ]  # fmt: skip
    if offline:
        arguments.insert(1, "--no-index")
    result = _pip(arguments)
    if result.returncode != 0:
        raise ImageError(
            f"could not get wheels for {arch}/Python {python_version}: {result.stderr.strip()[-1500:]}"
        )


def dependency_wheels(destination: Path, arch: str, python_version: str) -> list[Path]:
    """Put every runtime dependency's wheel in ``destination``; from the cache when it has them all."""
    cache = cache_root() / f"cp{python_version.replace('.', '')}-{arch}"
    cache.mkdir(parents=True, exist_ok=True)
    try:
        _download(destination, cache, arch, python_version, offline=True)
    except ImageError:
        _download(destination, cache, arch, python_version, offline=False)
        for wheel in destination.glob("*.whl"):
            if not (cache / wheel.name).exists():
                shutil.copy2(wheel, cache / wheel.name)
    return sorted(destination.glob("*.whl"))


def perch_wheel(destination: Path, source_date_epoch: int) -> Path:
    """Build Perch's own (pure Python) wheel from the source tree."""
    environment = dict(os.environ, SOURCE_DATE_EPOCH=str(source_date_epoch))
    with tempfile.TemporaryDirectory(prefix="perch-wheel-") as build:
        arguments = ["wheel", "--quiet", "--no-deps", "--wheel-dir", build, str(REPO_ROOT)]
        result = _pip(arguments, environment)
        if result.returncode != 0:
            raise ImageError(f"could not build Perch's wheel: {result.stderr.strip()[-1500:]}")
        built = sorted(Path(build).glob("perch-*.whl"))
        if not built:
            raise ImageError("building Perch's wheel produced no perch-*.whl")
        target = destination / built[0].name
        shutil.copy2(built[0], target)
    return target


def collect_wheels(
    destination: Path, arch: str, python_version: str, source_date_epoch: int, prebuilt: Path | None = None
) -> list[Path]:
    """All wheels the Pi needs; ``prebuilt`` is a Perch wheel to ship instead of building this tree's."""
    dependency_wheels(destination, arch, python_version)
    if prebuilt is None:
        perch_wheel(destination, source_date_epoch)
    elif not prebuilt.is_file() or not prebuilt.name.startswith("perch-") or prebuilt.suffix != ".whl":
        raise BadInputError(f"--perch-wheel {prebuilt}: expected an existing perch-*.whl file")
    else:
        shutil.copy2(prebuilt, destination / prebuilt.name)
    return sorted(destination.glob("*.whl"))
