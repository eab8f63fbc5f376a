"""Build the broker's gatekeeper from the config: Mosquitto-format password and ACL files."""

from __future__ import annotations

from dataclasses import dataclass

from broker.config import BrokerConfig, ConfigError


@dataclass(frozen=True)
class FileGatekeeper:
    """Admits clients by ``allow_anonymous`` and the password file; their rules come from the ACL file."""

    policy: object  # broker.auth.LoginPolicy
    acl: object | None  # broker.auth.AclFile

    def admit(self, client_id: str, username: str | None, password: bytes | None) -> object | None:
        from broker.auth import client_rules

        if not self.policy.accepts(username, password):
            return None
        return client_rules(self.acl, client_id, username)


def gatekeeper_for(config: BrokerConfig) -> FileGatekeeper | None:
    """None (anonymous, unrestricted) unless the config asks for passwords, an ACL or no anonymous access."""
    if config.allow_anonymous and not config.password_file and not config.acl_file:
        return None
    from broker.auth import AclError, AclFile, LoginPolicy, PasswordFile, PasswordFileError

    try:
        passwords = PasswordFile.load(config.password_file) if config.password_file else None
    except (PasswordFileError, OSError) as error:
        raise ConfigError("broker.password_file", str(error)) from error
    try:
        acl = AclFile.load(config.acl_file) if config.acl_file else None
    except (AclError, OSError) as error:
        raise ConfigError("broker.acl_file", str(error)) from error
    return FileGatekeeper(LoginPolicy(config.allow_anonymous, passwords), acl)
