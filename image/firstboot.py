"""First-boot secrets, made on the Pi by ``perch-firstboot`` as root (``python -m image.firstboot``).

Credentials and the TLS key are made on the device, never baked into the image, so two Pis flashed from
the same image do not share secrets. Existing files are kept, so running it again changes nothing.

- ``/etc/perch/agents.secret``: a random password for the broker user ``agents`` (0640 root:perch).
- ``/etc/perch/admin.secret``: a random password for the broker user ``admin`` (0600 root:root: only root
  reads it, e.g. ``sudo cat``; no agent needs it).
- ``/etc/perch/passwd``: the broker's password file (Mosquitto's ``$7$`` PBKDF2-SHA512) with ``agents``
  and ``admin``,
  written by ``perch passwd`` (a plain PBKDF2 line here if that command is missing).
- ``/etc/perch/tls/``: the node's CA and server certificate from ``perch cert`` (a self-signed openssl
  certificate if that command is missing); keys 0640 root:perch so the broker can read them.
"""

from __future__ import annotations

import base64
import grp
import hashlib
import os
import secrets
import socket
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import yaml

PBKDF2_ITERATIONS = 101  # Mosquitto's default for $7$ hashes
SALT_BYTES = 12
AGENTS_USER = "agents"
ADMIN_USER = "admin"
CONFIG_DIR = Path("/etc/perch")
PERCH = Path(sys.executable).with_name("perch")


def has_security_commands() -> bool:
    """``perch passwd`` and ``perch cert`` (broker.security_cli) are in this Perch."""
    return find_spec("broker.security_cli") is not None and PERCH.exists()


def mosquitto_password_line(username: str, password: str, salt: bytes | None = None) -> str:
    """``user:$7$iterations$salt$hash`` as ``mosquitto_passwd`` writes it (PBKDF2-HMAC-SHA512, 64 bytes)."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, PBKDF2_ITERATIONS, dklen=64)
    encoded_salt = base64.b64encode(salt).decode()
    encoded_hash = base64.b64encode(digest).decode()
    return f"{username}:$7${PBKDF2_ITERATIONS}${encoded_salt}${encoded_hash}"


def _write_private(path: Path, text: str, group_id: int, mode: int = 0o640) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    os.chown(path, 0, group_id)
    os.chmod(path, mode)  # the umask may have narrowed it


def add_broker_user(passwd_path: Path, username: str, password: str, group_id: int) -> None:
    """Add or replace ``username`` in the broker's password file (0640 root:perch), keeping other users."""
    if has_security_commands():
        create = [] if passwd_path.exists() else ["-c"]
        # "--": a password (or name) starting with "-" must not be read as an option
        command = [str(PERCH), "passwd", *create, "-b", "--", str(passwd_path), username, password]
        subprocess.run(command, check=True, capture_output=True)
        os.chown(passwd_path, 0, group_id)
        os.chmod(passwd_path, 0o640)
        return
    existing = passwd_path.read_text() if passwd_path.exists() else ""
    kept = [line for line in existing.splitlines() if line and not line.startswith(f"{username}:")]
    passwd_path.unlink(missing_ok=True)
    _write_private(
        passwd_path, "\n".join([*kept, mosquitto_password_line(username, password)]) + "\n", group_id
    )


def ensure_broker_user(
    config_dir: Path, username: str, secret_group_id: int, passwd_group_id: int, secret_mode: int
) -> bool:
    """Create ``<username>.secret`` and the user's password-file entry unless the secret exists."""
    secret_path = config_dir / f"{username}.secret"
    if secret_path.exists():
        return False
    password = secrets.token_hex(24)  # 192 bits; only [0-9a-f], so no shell, YAML or option surprises
    _write_private(secret_path, password + "\n", secret_group_id, secret_mode)
    add_broker_user(config_dir / "passwd", username, password, passwd_group_id)
    return True


def ensure_agents_credentials(config_dir: Path, group_id: int) -> bool:
    """The agents' password (0640 root:perch, the agents read it) and broker entry; True when made."""
    return ensure_broker_user(config_dir, AGENTS_USER, group_id, group_id, 0o640)


def ensure_admin_credentials(config_dir: Path, group_id: int) -> bool:
    """The admin's password (0600 root:root, only root reads it) and broker entry; True when made."""
    return ensure_broker_user(config_dir, ADMIN_USER, 0, group_id, 0o600)


def ensure_tls_certificate(tls_dir: Path, node: str, hostname: str, group_id: int) -> bool:
    """The node's certificate (``perch cert``, else self-signed with openssl), unless one exists."""
    key_path, certificate_path = tls_dir / "server.key", tls_dir / "server.crt"
    if key_path.exists() and certificate_path.exists():
        return False
    tls_dir.mkdir(parents=True, exist_ok=True)
    command = [str(PERCH), "cert", "--node", node, "--hostname", hostname, "--out", str(tls_dir)]
    if not has_security_commands() or subprocess.run(command, capture_output=True).returncode != 0:
        _self_signed(key_path, certificate_path, hostname)
    os.chown(tls_dir, 0, group_id)
    os.chmod(tls_dir, 0o750)
    for path in tls_dir.iterdir():
        if path.suffix != ".key":
            os.chown(path, 0, group_id)
            os.chmod(path, 0o644)
    os.chown(key_path, 0, group_id)  # the broker (group perch) reads its key; a CA key stays root's alone
    os.chmod(key_path, 0o640)
    return True


def _self_signed(key_path: Path, certificate_path: Path, hostname: str) -> None:
    command = [
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "3650",
        "-subj",
        f"/CN={hostname}",
        "-addext",
        f"subjectAltName=DNS:{hostname},DNS:{hostname}.local,DNS:localhost",
        "-keyout",
        str(key_path),
        "-out",
        str(certificate_path),
    ]
    subprocess.run(command, check=True, capture_output=True)


def node_name(config_path: Path) -> str:
    """The node name from the appliance config (the host name when it has none)."""
    try:
        config = yaml.safe_load(config_path.read_text()) or {}
    except (OSError, yaml.YAMLError):
        config = {}
    return str(config.get("node") or socket.gethostname())


def perch_group_id() -> int:
    return grp.getgrnam("perch").gr_gid


def main() -> int:
    group_id = perch_group_id()
    config_dir = CONFIG_DIR
    made_agents = ensure_agents_credentials(config_dir, group_id)
    made_admin = ensure_admin_credentials(config_dir, group_id)
    node = node_name(config_dir / "perch.yaml")
    made_certificate = ensure_tls_certificate(config_dir / "tls", node, socket.gethostname(), group_id)
    print(
        f"credentials {'created' if made_agents or made_admin else 'kept'}, "
        f"certificate {'created' if made_certificate else 'kept'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
