"""Client certificates signed by the node's CA, for listeners with ``require_certificate``.

With ``use_identity_as_username`` the certificate's common name is the client's username, so a client
certificate's name follows the username rules of the ACL file and is also safe as a file name.

Files written into ``<out>/clients/``: ``<name>.crt`` and ``<name>.key`` (PEM, for paho, MQTT.js,
mosquitto_sub ``--cert/--key``) and, with a password, ``<name>.p12``: the PKCS#12 bundle Android
("VPN & app user certificate") and iOS import. It uses PBES1 3DES and a SHA-1 MAC, the one encryption
that every Android and iOS version still reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import PrivateFormat, pkcs12

from broker.auth.files import PRIVATE, PUBLIC, write_atomically
from broker.tls.certs import (
    CLIENT_LIFETIME,
    CertificateError,
    certificate_pem,
    issue_certificate,
    load_authority,
    private_key_pem,
)

CLIENT_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")
P12_KDF_ROUNDS = 50_000


@dataclass(frozen=True)
class ClientCertificate:
    certificate: Path
    key: Path
    bundle: Path | None


def create_client_certificate(out: Path, name: str, p12_password: str | None = None) -> ClientCertificate:
    """Issue a client certificate (CN ``name``) from the CA already in ``out``."""
    if not CLIENT_NAME.fullmatch(name):
        raise CertificateError(
            f"{name!r} is not a usable client name "
            "(1-64 letters, digits, '.', '_' or '-', not starting with '.' or '-')"
        )
    if p12_password == "":
        raise CertificateError(
            "the PKCS#12 password must not be empty (iOS and some Androids refuse such bundles)"
        )
    if not (out / "ca.key").exists() or not (out / "ca.crt").exists():
        raise CertificateError(f"no CA in {out}: run 'perch cert --node NAME --out {out}' first")
    authority = load_authority(out / "ca.key", out / "ca.crt")
    key, certificate = issue_certificate(authority, name, is_client=True, lifetime=CLIENT_LIFETIME)
    folder = out / "clients"
    folder.mkdir(exist_ok=True)
    made = ClientCertificate(folder / f"{name}.crt", folder / f"{name}.key", None)
    write_atomically(made.key, private_key_pem(key), mode=PRIVATE)
    write_atomically(made.certificate, certificate_pem(certificate), mode=PUBLIC)
    if p12_password is None:
        return made
    encryption = (
        PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(P12_KDF_ROUNDS)
        .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
        .hmac_hash(hashes.SHA1())
        .build(p12_password.encode("utf-8"))
    )
    bundle = pkcs12.serialize_key_and_certificates(
        name.encode("utf-8"), key, certificate, [authority.certificate], encryption
    )
    write_atomically(folder / f"{name}.p12", bundle, mode=PRIVATE)
    return ClientCertificate(made.certificate, made.key, folder / f"{name}.p12")
