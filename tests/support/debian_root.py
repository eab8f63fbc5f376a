"""A real Debian root filesystem for tests, made with debootstrap once and cached between runs.

``debootstrap --variant=minbase bookworm`` plus the packages a bootable Pi-like host needs takes about a
minute, so the result is kept under ``/var/cache/perch-tests/`` in a folder named after a hash of the suite,
architecture and package list: a different list makes a different cache entry, never a stale one. Each test
gets its own copy (``cp -a``), so tests may change their root freely.

Needs root (debootstrap creates device nodes and root-owned files) and Debian's package mirror; the mirror
is debootstrap's default unless ``PERCH_DEBIAN_MIRROR`` names another.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tests.support.tools import require_root, require_tool

CACHE_DIR = Path(os.environ.get("PERCH_TEST_CACHE", "/var/cache/perch-tests"))
SUITE = "bookworm"
BASE_PACKAGES = (
    "systemd",
    "systemd-sysv",
    "dbus",
    "openssh-server",
    "sudo",
    "python3",
    "python3-venv",
    "iproute2",
    "openssl",
    "procps",
)
DEBIAN_ARCHES = {"x86_64": "amd64", "aarch64": "arm64"}
BUILD_TIMEOUT_SECONDS = 900


def host_debian_arch() -> str:
    return DEBIAN_ARCHES.get(platform.machine(), platform.machine())


def cache_key(suite: str, arch: str, packages: tuple[str, ...]) -> str:
    text = "\n".join([suite, arch, "minbase", *sorted(packages)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _debootstrap(target: Path, suite: str, arch: str, packages: tuple[str, ...]) -> None:
    command = [
        require_tool("debootstrap", "debootstrap"),
        "--variant=minbase",
        f"--arch={arch}",
        f"--include={','.join(sorted(packages))}",
        suite,
        str(target),
    ]
    mirror = os.environ.get("PERCH_DEBIAN_MIRROR")
    if mirror:
        command.append(mirror)
    result = subprocess.run(command, capture_output=True, text=True, timeout=BUILD_TIMEOUT_SECONDS)
    if result.returncode != 0:
        log = (
            (target / "debootstrap" / "debootstrap.log").read_text(errors="replace")[-3000:]
            if (target / "debootstrap" / "debootstrap.log").exists()
            else ""
        )
        raise RuntimeError(f"debootstrap failed ({result.returncode}): {result.stderr[-2000:]}\n{log}")
    # Clean, reproducible leftovers: no package lists, no machine id (systemd makes one at boot).
    shutil.rmtree(target / "var/lib/apt/lists", ignore_errors=True)
    (target / "var/lib/apt/lists/partial").mkdir(parents=True, exist_ok=True)
    (target / "etc/machine-id").write_text("")


HOSTS = "127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\traspberrypi\n"


def _finish_root(root: Path) -> None:
    """What an installed system (and Raspberry Pi OS) has but debootstrap leaves out: ``/etc/hosts``
    (without it ``localhost`` does not resolve) and a host name. Idempotent, so old caches get it too."""
    if not (root / "etc/hosts").exists():
        (root / "etc/hosts").write_text(HOSTS)
    (root / "etc/hostname").write_text("raspberrypi\n")


def cached_debian_root(packages: tuple[str, ...] = BASE_PACKAGES, suite: str = SUITE) -> Path:
    """Return the cached root for this package list, building it first if needed (read-only use!)."""
    require_root()
    arch = host_debian_arch()
    entry = CACHE_DIR / f"debian-{suite}-{arch}-{cache_key(suite, arch, packages)}"
    root = entry / "root"
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with open(CACHE_DIR / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (entry / "complete").exists():
            shutil.rmtree(entry, ignore_errors=True)
            entry.mkdir()
            _debootstrap(root, suite, arch, packages)
            (entry / "packages.txt").write_text("\n".join(sorted(packages)) + "\n")
            (entry / "complete").write_text("")
        _finish_root(root)
    return root


def copy_debian_root(destination: Path, packages: tuple[str, ...] = BASE_PACKAGES) -> Path:
    """Copy the cached root to ``destination`` (which must not exist) and return it."""
    source = cached_debian_root(packages)
    subprocess.run(["cp", "-a", "--reflink=auto", str(source), str(destination)], check=True)
    return destination


@contextlib.contextmanager
def fresh_debian_root(packages: tuple[str, ...] = BASE_PACKAGES) -> Iterator[Path]:
    """A private copy of the cached Debian root, removed afterwards."""
    parent = Path(tempfile.mkdtemp(prefix="perch-root-", dir=CACHE_DIR if CACHE_DIR.exists() else None))
    try:
        yield copy_debian_root(parent / "root", packages)
    finally:
        shutil.rmtree(parent, ignore_errors=True)
