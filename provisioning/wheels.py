"""Perch's wheel and its dependencies' wheels, built here once per node platform for a whole run.

The wheels come from the image component's builder (``image.wheels.collect_wheels``), so an SD-card image
and a provisioned Pi run the same code. Perch's own wheel is built with a fixed ``SOURCE_DATE_EPOCH``:
the same source gives the same bytes, so ``deploy`` can tell "nothing changed" from the wheels' hashes.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import threading
from pathlib import Path

from provisioning.errors import BadInputError, ProvisionError

SOURCE_DATE_EPOCH = 315532800  # 1980-01-01, the earliest time a zip file can hold
# In a wheel folder: its wheels' sha256 sums. Ansible copies only this file unless it changed.
MANIFEST_NAME = "perch-wheels.sha256"


class WheelSource:
    """Builds (once, thread-safely) and keeps the wheels for each (CPU architecture, Python version).

    With ``prebuilt`` (a folder made by ``perch provision wheels DIR``) every node gets that folder's
    wheels instead: no build, and the very same bytes on every run.
    """

    def __init__(self, prebuilt: Path | None = None) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="perch-provision-wheels-"))
        self._lock = threading.Lock()
        self._built: dict[tuple[str, str], list[Path]] = {}
        self._prebuilt = prebuilt

    def wheels_for(self, arch: str, python_version: str) -> list[Path]:
        if self._prebuilt is not None:
            return sorted(self._prebuilt.glob("*.whl"))
        with self._lock:
            key = (arch, python_version)
            if key not in self._built:
                self._built[key] = self._build(arch, python_version)
            return self._built[key]

    def _build(self, arch: str, python_version: str) -> list[Path]:
        from image.errors import ImageError
        from image.wheels import collect_wheels

        destination = self._folder / f"{arch}-{python_version}"
        destination.mkdir()
        try:
            return collect_wheels(destination, arch, python_version, SOURCE_DATE_EPOCH)
        except ImageError as error:
            raise ProvisionError(
                f"cannot build the wheels for {arch}/Python {python_version}: {error}"
            ) from None

    def close(self) -> None:
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> WheelSource:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def check_wheel_folder(folder: Path) -> None:
    """A ``--wheels`` folder must hold Perch's wheel and pip's (the installer runs pip from its wheel)."""
    if not folder.is_dir():
        raise BadInputError(f"--wheels {folder}: no such folder")
    for name in ("perch", "pip"):
        if not list(folder.glob(f"{name}-*.whl")):
            raise BadInputError(
                f"--wheels {folder}: no {name}-*.whl in it (make it with: perch provision wheels DIR)"
            )


def build_wheel_folder(folder: Path, arch: str, python_version: str) -> list[Path]:
    """``perch provision wheels``: the wheels a node of this platform needs, into ``folder``."""
    from image.errors import ImageError
    from image.wheels import collect_wheels

    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.whl"):
        old.unlink()
    try:
        wheels = collect_wheels(folder, arch, python_version, SOURCE_DATE_EPOCH)
    except ImageError as error:
        raise ProvisionError(f"cannot build the wheels for {arch}/Python {python_version}: {error}") from None
    (folder / MANIFEST_NAME).write_text(manifest(wheels))
    return wheels


def manifest(wheels: list[Path]) -> str:
    """``sha256  name`` lines, sorted: the identity of one set of wheels."""
    lines = sorted(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}" for path in wheels)
    return "\n".join(lines) + "\n"
