"""Hooks for authentication and authorisation, so the core never imports a policy.

The server builds a :class:`Gatekeeper` from the config (password file, ACL file); without one every
client is admitted with no per-topic checks (anonymous access, the default until issue 4 lands).
"""

from __future__ import annotations

from typing import Protocol


class ClientRules(Protocol):
    """What one admitted client may do; ``access`` is ``"read"``, ``"write"`` or ``"subscribe"``."""

    def allows(self, topic: str, access: str) -> bool: ...


class Gatekeeper(Protocol):
    """Decides at CONNECT: the client's rules, or None to refuse it (CONNACK Not authorized)."""

    def admit(self, client_id: str, username: str | None, password: bytes | None) -> ClientRules | None: ...


class Unrestricted:
    """Rules that allow everything (what an admitted client gets when no ACL applies)."""

    def allows(self, topic: str, access: str) -> bool:
        return True
