"""What can go wrong while provisioning, each told in one line that says what to do.

``BadInputError`` is the user's input (exit 2); every ``ProvisionError`` is one host's failure (exit 1).
``explain`` turns the exceptions paramiko, sockets and invoke raise into those one-liners.
"""

from __future__ import annotations

import socket


class BadInputError(ValueError):
    """A bad argument or an invalid config file: nothing was sent to any host."""


class ProvisionError(RuntimeError):
    """A failure on one host, told in one line."""


class UnreachableError(ProvisionError):
    """No SSH connection could be made (no route, refused, timed out, unknown name)."""


class LoginError(ProvisionError):
    """The SSH server refused the user or the key."""


class HostKeyError(ProvisionError):
    """The host key is unknown or does not match the known_hosts file."""


class SudoError(ProvisionError):
    """The SSH user may not run commands as root without a terminal."""


class RemoteCommandError(ProvisionError):
    """A command on the node failed."""


def explain(error: BaseException) -> ProvisionError:
    """The one-line ProvisionError for an exception raised while working on a host (the report names it)."""
    import paramiko

    if isinstance(error, ProvisionError):
        return error
    if isinstance(error, paramiko.BadHostKeyException):
        return HostKeyError(
            "host key does NOT match known_hosts (a different machine, or someone in between); "
            "if the Pi was reinstalled, remove its old line with ssh-keygen -R HOST"
        )
    if isinstance(error, paramiko.AuthenticationException):
        return LoginError("SSH login refused: wrong user or key (give the right one with --key)")
    if isinstance(error, paramiko.SSHException) and "known_hosts" in str(error):
        return HostKeyError(
            "host key is not in known_hosts: check it, then add it "
            "(ssh-keyscan HOST >> ~/.ssh/known_hosts) or pass --known-hosts FILE"
        )
    if isinstance(error, socket.gaierror):
        return UnreachableError(f"unreachable: unknown host name ({error.strerror})")
    if isinstance(error, TimeoutError | socket.timeout):
        return UnreachableError("unreachable: connection timed out")
    if isinstance(error, paramiko.ssh_exception.NoValidConnectionsError):
        reasons = sorted({(e.strerror or str(e)).lower() for e in error.errors.values()})
        return UnreachableError(f"unreachable: {', '.join(reasons)}")
    if isinstance(error, OSError):
        return UnreachableError(f"unreachable: {(error.strerror or str(error)).lower()}")
    if isinstance(error, paramiko.SSHException):
        return UnreachableError(f"SSH failed: {error}")
    return ProvisionError(f"{type(error).__name__}: {error}")
