"""Run the command-line tools the image builder drives (sfdisk, mtools, e2fsprogs, compressors).

On Debian a normal user's PATH lacks /usr/sbin and /sbin, where sfdisk and debugfs live, so those are
searched too. No tool here needs root.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence

from image.errors import ImageError, ToolMissingError

SYSTEM_PATHS = "/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin"
DEBIAN_PACKAGES = {
    "sfdisk": "fdisk",
    "mcopy": "mtools",
    "mtype": "mtools",
    "mdir": "mtools",
    "mmd": "mtools",
    "mdel": "mtools",
    "minfo": "mtools",
    "debugfs": "e2fsprogs",
    "dumpe2fs": "e2fsprogs",
    "e2fsck": "e2fsprogs",
    "zstd": "zstd",
    "xz": "xz-utils",
}


def find_tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path=SYSTEM_PATHS)
    if path is None:
        package = DEBIAN_PACKAGES.get(name, name)
        raise ToolMissingError(f"{name} is not installed: sudo apt-get install -y {package}")
    return path


def tool_environment() -> dict[str, str]:
    """A stable environment: C locale (parseable output), mtools without its sanity checks on images."""
    environment = dict(os.environ, LC_ALL="C", MTOOLS_SKIP_CHECK="1")
    environment.pop("MTOOLSRC", None)
    return environment


def run_tool(
    name: str,
    arguments: Sequence[str],
    *,
    input_bytes: bytes | None = None,
    check: bool = True,
    extra_environment: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run tool ``name``; raise ImageError with its stderr when it fails and ``check`` is set."""
    command = [find_tool(name), *arguments]
    environment = tool_environment() | (extra_environment or {})
    result = subprocess.run(command, input=input_bytes, capture_output=True, env=environment)
    if check and result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip() or result.stdout.decode(errors="replace")
        raise ImageError(f"{name} failed ({result.returncode}): {message.strip()[-1500:]}")
    return result
