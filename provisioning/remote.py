"""Small verbs over a Fabric connection: run, run as root, compare and install files.

Root commands go through ``sudo -n`` (never a prompt: a user without password-less sudo gets a clear
error instead of a hang), or through Fabric's ``sudo`` with the password when one was given. Files are
uploaded as the SSH user to a private temporary folder and then put in place with ``sudo install``
(SFTP cannot write as root). Every change is decided by comparing SHA-256 sums first, so running a task
again changes nothing.
"""

from __future__ import annotations

import hashlib
import shlex
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioning.errors import RemoteCommandError, SudoError

if TYPE_CHECKING:
    from fabric import Connection

SUDO_REFUSALS = ("a password is required", "not in the sudoers", "may not run sudo", "incorrect password")
COMMAND_TIMEOUT_SECONDS = 600


def run(connection: Connection, command: str, check: bool = True, **kwargs: Any) -> Any:
    """Run ``command`` as the SSH user; a failure raises RemoteCommandError with its stderr."""
    result = connection.run(command, hide=True, warn=True, timeout=COMMAND_TIMEOUT_SECONDS, **kwargs)
    if check and result.exited != 0:
        raise RemoteCommandError(_failure(command, result))
    return result


def as_root(connection: Connection, command: str, check: bool = True, **kwargs: Any) -> Any:
    """Run the shell ``command`` as root on the node, with no terminal."""
    password = connection.config.sudo.password
    if password is None:
        wrapped = f"sudo -n -- sh -c {shlex.quote(command)}"
        result = connection.run(wrapped, hide=True, warn=True, timeout=COMMAND_TIMEOUT_SECONDS, **kwargs)
    else:
        from invoke.exceptions import AuthFailure

        wrapped = f"sh -c {shlex.quote(command)}"
        try:
            result = connection.sudo(
                wrapped, hide=True, warn=True, in_stream=False, timeout=COMMAND_TIMEOUT_SECONDS, **kwargs
            )
        except AuthFailure:
            raise SudoError(f"sudo failed for {connection.user}: the sudo password was refused") from None
    stderr = result.stderr.lower()
    if result.exited != 0 and stderr.startswith("sudo") and any(r in stderr for r in SUDO_REFUSALS):
        raise SudoError(
            f"sudo failed for {connection.user}: {result.stderr.strip().splitlines()[-1]} "
            "(allow it password-less in /etc/sudoers.d/, or pass --ask-sudo-password)"
        )
    if check and result.exited != 0:
        raise RemoteCommandError(_failure(command, result))
    return result


def _failure(command: str, result: Any) -> str:
    detail = (result.stderr.strip() or result.stdout.strip() or "no output").splitlines()
    short = " | ".join(detail[-3:])
    return f"`{command[:120]}` failed with exit code {result.exited}: {short}"


def check_sudo(connection: Connection) -> None:
    """Fail early, with SudoError, when the SSH user cannot become root."""
    as_root(connection, "true")


def sha256_of(connection: Connection, path: str) -> str | None:
    """The SHA-256 of a file on the node, or None when it does not exist."""
    result = as_root(connection, f"sha256sum {shlex.quote(path)} 2>/dev/null || true")
    text = result.stdout.strip()
    return text.split()[0] if text else None


def read_text(connection: Connection, path: str) -> str | None:
    """A text file's content on the node, or None when it does not exist."""
    quoted = shlex.quote(path)
    result = as_root(
        connection, f"if [ -f {quoted} ]; then cat {quoted}; else echo MISSING >&2; exit 3; fi", check=False
    )
    if result.exited == 3:
        return None
    if result.exited != 0:
        raise RemoteCommandError(_failure(f"cat {path}", result))
    return result.stdout


def upload_folder(connection: Connection) -> str:
    """A fresh private folder of the SSH user on the node, for files on their way to root's places."""
    return run(connection, "mktemp -d /tmp/perch-upload.XXXXXXXX").stdout.strip()


def install_file(
    connection: Connection, content: bytes, path: str, mode: str = "0644", owner: str = "root:root"
) -> bool:
    """Put ``content`` at ``path`` (owned and moded as given) unless it is already there; True if changed."""
    user, group = owner.split(":")
    if sha256_of(connection, path) == hashlib.sha256(content).hexdigest():
        as_root(connection, f"chown {owner} {shlex.quote(path)} && chmod {mode} {shlex.quote(path)}")
        return False
    folder = upload_folder(connection)
    try:
        with tempfile.NamedTemporaryFile(prefix="perch-") as local:
            local.write(content)
            local.flush()
            connection.put(local.name, f"{folder}/file")
        quoted = shlex.quote(path)
        as_root(
            connection,
            f"install -D -m {mode} -o {user} -g {group} {folder}/file {quoted}.perch-new "
            f"&& mv -f {quoted}.perch-new {quoted}",
        )
    finally:
        run(connection, f"rm -rf {shlex.quote(folder)}", check=False)
    return True


def upload_files(connection: Connection, files: list[Path]) -> str:
    """Upload ``files`` into a new private folder on the node and return that folder."""
    folder = upload_folder(connection)
    for path in files:
        connection.put(str(path), f"{folder}/{path.name}")
    return folder
