"""Whether a CONNECT's username and password let the client in, with Mosquitto 2.0's rules.

================================  ===================================================
CONNECT carries                   outcome
================================  ===================================================
no username                       in only when the listener allows anonymous clients
a username, no password file      in only when the listener allows anonymous clients
a username, a password file       in only when the user exists and the password matches
================================  ===================================================

A refusal is CONNACK "Not authorized" (MQTT 5: 0x87; 3.1.1: return code 5), as Mosquitto answers: the
spec keeps "Bad User Name or Password" (0x86 / 4) for data that is malformed, not merely wrong.
The table is cross-checked against a real Mosquitto in ``tests/broker/auth/test_login.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from broker.auth.passwords import PasswordFile


@dataclass(frozen=True)
class LoginPolicy:
    """One listener's authentication settings (``allow_anonymous`` and the shared password file)."""

    allow_anonymous: bool
    passwords: PasswordFile | None = None

    def accepts(self, username: str | None, password: bytes | str | None) -> bool:
        if username is None or self.passwords is None:
            return self.allow_anonymous
        return self.passwords.verify(username, password)
