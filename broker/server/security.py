"""Who may connect on which listener: secure defaults, per-listener gatekeepers, TLS and busy refusals.

Mosquitto 2's rules, which Perch follows:

* With no ``listeners`` in the config the broker listens on 127.0.0.1 only and lets anonymous clients
  in (a development box cannot be reached from the network).
* Once ``listeners`` is given, ``allow_anonymous`` is false unless the config says ``true``, globally or
  on a listener (a listener's own ``allow_anonymous`` wins over the global one).
* ``perch broker --bind/--port`` builds listeners from flags, not from the YAML, so anonymous access
  stays on for that loopback development mode unless the config file turns it off.

The password and ACL files are shared by every listener and re-read on SIGHUP (:meth:`reload`); a
file that fails to load on reload is logged and the old one kept, so a typo never locks everyone out.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from broker.codec import ReasonCode
from broker.config import BrokerConfig, ConfigError, ListenerConfig
from broker.protocol.errors import ConnectRefused

log = logging.getLogger("perch.broker")

# Connections accepted beyond max_connections only to be told "Server busy"; past this, they are cut.
BUSY_GRACE_CONNECTIONS = 64


def secure_defaults(data: dict) -> dict:
    """The ``broker:`` mapping with Mosquitto 2's default: configured listeners mean no anonymous access."""
    if isinstance(data, dict) and "listeners" in data and "allow_anonymous" not in data:
        return {**data, "allow_anonymous": False}
    return data


def validate_security(config: BrokerConfig) -> None:
    """Check the TLS options that depend on each other; errors name the YAML path."""
    for index, listener in enumerate(config.listeners):
        tls = listener.tls
        if tls is None:
            continue
        path = f"broker.listeners[{index}].tls"
        if tls.require_certificate and not tls.cafile:
            raise ConfigError(f"{path}.require_certificate", "needs a cafile to check client certificates")
        if tls.use_identity_as_username and not tls.require_certificate:
            raise ConfigError(f"{path}.use_identity_as_username", "needs require_certificate: true")


def tls_context(listener: ListenerConfig, index: int) -> ssl.SSLContext | None:
    """The listener's TLS context (TLS 1.2+), or None for a plain listener; ConfigError names the path."""
    if listener.tls is None:
        return None
    from broker.tls.context import TlsConfigError, TlsOptions, server_context

    tls = listener.tls
    try:
        options = TlsOptions(
            certfile=Path(tls.certfile),
            keyfile=Path(tls.keyfile),
            cafile=Path(tls.cafile) if tls.cafile else None,
            require_certificate=tls.require_certificate,
            use_identity_as_username=tls.use_identity_as_username,
        )
        return server_context(options)
    except TlsConfigError as error:
        raise ConfigError(f"broker.listeners[{index}].tls", str(error)) from None


@dataclass
class AccessFiles:
    """The loaded password and ACL files (None when not configured)."""

    passwords: Any = None  # broker.auth.PasswordFile
    acl: Any = None  # broker.auth.AclFile

    @classmethod
    def load(cls, config: BrokerConfig) -> AccessFiles:
        from broker.auth import AclError, AclFile, PasswordFile, PasswordFileError

        try:
            passwords = PasswordFile.load(config.password_file) if config.password_file else None
        except (PasswordFileError, OSError) as error:
            raise ConfigError("broker.password_file", str(error)) from error
        try:
            acl = AclFile.load(config.acl_file) if config.acl_file else None
        except (AclError, OSError) as error:
            raise ConfigError("broker.acl_file", str(error)) from error
        return cls(passwords, acl)


class ListenerGate:
    """One listener's gatekeeper: its ``allow_anonymous`` with the shared password and ACL files."""

    def __init__(self, allow_anonymous: bool, files: AccessFiles) -> None:
        self.allow_anonymous = allow_anonymous
        self.files = files

    def admit(self, client_id: str, username: str | None, password: bytes | None) -> Any:
        from broker.auth import LoginPolicy, client_rules

        if not LoginPolicy(self.allow_anonymous, self.files.passwords).accepts(username, password):
            return None
        return client_rules(self.files.acl, client_id, username)


class IdentityGate:
    """``use_identity_as_username``: the certificate's CN is the username, and no password is asked
    (as in Mosquitto); a client without a certificate name is refused."""

    def __init__(self, files: AccessFiles, identity: str | None) -> None:
        self.files = files
        self.identity = identity

    def admit(self, client_id: str, username: str | None, password: bytes | None) -> Any:
        from broker.auth import client_rules

        if self.identity is None:
            return None
        return client_rules(self.files.acl, client_id, self.identity)


class BusyGate:
    """Answers every CONNECT with "Server busy" (MQTT 5 0x89, 3.1.1 code 3 Server unavailable)."""

    def admit(self, client_id: str, username: str | None, password: bytes | None) -> Any:
        raise ConnectRefused(ReasonCode.SERVER_BUSY, "max_connections reached")


BUSY = BusyGate()


class ServerSecurity:
    """Every listener's TLS context and gatekeeper, built from the config; ``reload()`` on SIGHUP."""

    def __init__(self, config: BrokerConfig) -> None:
        self.config = config
        self.files = AccessFiles.load(config)
        self.gates = [self._gate_for(listener) for listener in config.listeners]

    def _gate_for(self, listener: ListenerConfig) -> ListenerGate | None:
        anonymous = (
            self.config.allow_anonymous if listener.allow_anonymous is None else listener.allow_anonymous
        )
        identity = listener.tls is not None and listener.tls.use_identity_as_username
        if anonymous and not identity and self.files.passwords is None and self.files.acl is None:
            return None  # open listener: no per-topic cost
        return ListenerGate(anonymous, self.files)

    def contexts(self) -> list[ssl.SSLContext | None]:
        return [tls_context(listener, index) for index, listener in enumerate(self.config.listeners)]

    def gatekeeper(self, listener_index: int, transport: Any, busy: bool = False) -> Any:
        """The gatekeeper for a new connection on this listener (None: admit anyone, no ACL)."""
        if busy:
            return BUSY
        listener = self.config.listeners[listener_index]
        if listener.tls is not None and listener.tls.use_identity_as_username:
            return IdentityGate(self.files, _certificate_name(transport))
        return self.gates[listener_index]

    def reload(self) -> bool:
        """Re-read the password and ACL files for new connections; keeps the old ones on error."""
        try:
            files = AccessFiles.load(self.config)
        except ConfigError as error:
            log.error("reload failed, keeping the previous password and ACL files: %s", error)
            return False
        self.files.passwords, self.files.acl = files.passwords, files.acl
        log.info("reloaded the password and ACL files")
        return True


def _certificate_name(transport: Any) -> str | None:
    from broker.tls.context import peer_identity

    ssl_object = transport.get_extra_info("ssl_object")
    return peer_identity(ssl_object) if ssl_object is not None else None
