"""A per-node certificate authority and the broker's server certificate, made with ``cryptography``.

Why a CA and not one self-signed certificate: phones import the CA once, and the server certificate can
then be renewed (new hostname, new address, expiry) without touching every phone again. So an existing
CA in the output folder is reused; only ``new_ca=True`` replaces it.

Keys are ECDSA P-256: small and fast to sign with on a Pi Zero, and accepted by Android, iOS and
OpenSSL clients (Mosquitto's tools, paho, MQTT.js). Lifetimes: the CA 10 years; the server certificate
825 days, the most Apple platforms accept for a TLS server certificate. The server certificate carries
what iOS 13+ requires: DNS names in subjectAltName, extendedKeyUsage serverAuth, a SHA-256 signature.

Files written (keys mode 0600, the rest 0644):

=========================  ===========================================================
``ca.key`` / ``ca.crt``    the CA's private key and certificate (PEM)
``ca.cer``                 the CA certificate in DER, the form Android's "CA certificate" installer takes
``<node>-ca.mobileconfig`` an iOS/macOS configuration profile holding the CA
``server.key`` / ``server.crt``  the listener's key and certificate (PEM), signed by the CA
=========================  ===========================================================
"""

from __future__ import annotations

import datetime
import ipaddress
import plistlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from broker.auth.files import PRIVATE, PUBLIC, write_atomically

CA_LIFETIME = datetime.timedelta(days=3650)
SERVER_LIFETIME = datetime.timedelta(days=825)
CLIENT_LIFETIME = datetime.timedelta(days=825)
CLOCK_SKEW = datetime.timedelta(hours=1)  # valid from a little earlier, for clients whose clock lags
ORGANISATION = "Perch"


class CertificateError(ValueError):
    """Bad input for a certificate (a node name, hostname or address), or an unusable existing CA."""


@dataclass(frozen=True)
class Authority:
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate


@dataclass(frozen=True)
class NodeCertificates:
    """Where ``perch cert`` put each file."""

    ca_key: Path
    ca_certificate: Path
    ca_der: Path
    ca_mobileconfig: Path
    server_key: Path
    server_certificate: Path
    reused_ca: bool


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def check_dns_name(name: str) -> str:
    """Return ``name`` lower-cased if it is a valid DNS name; raise CertificateError otherwise."""
    labels = name.rstrip(".").split(".")
    valid = 0 < len(name) <= 253 and all(
        0 < len(label) <= 63
        and label.isascii()
        and all(character.isalnum() or character == "-" for character in label)
        and not label.startswith("-")
        and not label.endswith("-")
        for label in labels
    )
    if not valid:
        raise CertificateError(f"{name!r} is not a valid host name (letters, digits and '-', dot-separated)")
    return name.rstrip(".").lower()


def create_authority(node: str) -> Authority:
    """A new CA for one node: may sign server and client certificates, nothing below them."""
    key = _new_key()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"Perch {node} CA"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
        ]
    )
    now = _now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(sign_certificates=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Authority(key, certificate)


def _key_usage(sign_certificates: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not sign_certificates,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=sign_certificates,
        crl_sign=sign_certificates,
        encipher_only=False,
        decipher_only=False,
    )


def issue_certificate(
    authority: Authority,
    common_name: str,
    *,
    dns_names: Sequence[str] = (),
    addresses: Sequence[ipaddress.IPv4Address | ipaddress.IPv6Address] = (),
    is_client: bool = False,
    lifetime: datetime.timedelta = SERVER_LIFETIME,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A leaf key and certificate signed by ``authority``: a server's (with SANs) or a client's."""
    key = _new_key()
    now = _now()
    usage = ExtendedKeyUsageOID.CLIENT_AUTH if is_client else ExtendedKeyUsageOID.SERVER_AUTH
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(authority.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(min(now + lifetime, authority.certificate.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(sign_certificates=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.key.public_key()), critical=False
        )
    )
    names: list[x509.GeneralName] = [x509.DNSName(name) for name in dns_names]
    names += [x509.IPAddress(address) for address in addresses]
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return key, builder.sign(authority.key, hashes.SHA256())


def server_names(node: str, hostnames: Iterable[str]) -> list[str]:
    """``<node>.local`` (mDNS), the bare node name, then any extra hostnames; duplicates dropped."""
    node = check_dns_name(node)
    names = [f"{node}.local", node, *(check_dns_name(name) for name in hostnames)]
    return list(dict.fromkeys(names))


def parse_addresses(texts: Iterable[str]) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    addresses = []
    for text in texts:
        try:
            addresses.append(ipaddress.ip_address(text))
        except ValueError:
            raise CertificateError(f"{text!r} is not an IPv4 or IPv6 address") from None
    return list(dict.fromkeys(addresses))


def private_key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def certificate_pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def load_authority(key_path: Path, certificate_path: Path) -> Authority:
    """Read an existing CA, checking that the key belongs to the certificate and that it is a CA."""
    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        certificate = x509.load_pem_x509_certificate(certificate_path.read_bytes())
    except (OSError, ValueError, TypeError) as error:
        raise CertificateError(f"cannot reuse the CA in {key_path.parent}: {error}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.public_key() != certificate.public_key():
        raise CertificateError(f"{key_path} is not the key of {certificate_path}")
    constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    if not constraints.ca:
        raise CertificateError(f"{certificate_path} is not a CA certificate")
    if certificate.not_valid_after_utc <= _now() + SERVER_LIFETIME / 10:
        raise CertificateError(f"the CA in {certificate_path} expires soon: make a new one (--new-ca)")
    return Authority(key, certificate)


def mobileconfig(node: str, authority_der: bytes) -> bytes:
    """An Apple configuration profile that installs the CA (then trust it in Settings > About)."""
    fingerprint = uuid.uuid5(uuid.NAMESPACE_OID, authority_der.hex())
    identifier = f"local.perch.{node}.ca"
    certificate_payload = {
        "PayloadType": "com.apple.security.root",
        "PayloadVersion": 1,
        "PayloadIdentifier": f"{identifier}.certificate",
        "PayloadUUID": str(uuid.uuid5(fingerprint, "certificate")).upper(),
        "PayloadDisplayName": f"Perch {node} CA",
        "PayloadCertificateFileName": f"{node}-ca.cer",
        "PayloadContent": authority_der,
    }
    profile = {
        "PayloadType": "Configuration",
        "PayloadVersion": 1,
        "PayloadIdentifier": identifier,
        "PayloadUUID": str(fingerprint).upper(),
        "PayloadDisplayName": f"Perch {node} certificate authority",
        "PayloadDescription": f"Lets this device check the TLS certificate of the Perch node {node}.",
        "PayloadOrganization": ORGANISATION,
        "PayloadContent": [certificate_payload],
    }
    return plistlib.dumps(profile, fmt=plistlib.FMT_XML)


def create_node_certificates(
    node: str,
    out: Path,
    hostnames: Sequence[str] = (),
    addresses: Sequence[str] = (),
    new_ca: bool = False,
) -> NodeCertificates:
    """Make (or reuse) the node's CA and issue a fresh server certificate; write every file into ``out``."""
    dns_names = server_names(node, hostnames)
    ip_addresses = parse_addresses(addresses)
    node = check_dns_name(node)
    out.mkdir(parents=True, exist_ok=True)
    paths = NodeCertificates(
        ca_key=out / "ca.key",
        ca_certificate=out / "ca.crt",
        ca_der=out / "ca.cer",
        ca_mobileconfig=out / f"{node}-ca.mobileconfig",
        server_key=out / "server.key",
        server_certificate=out / "server.crt",
        reused_ca=not new_ca and paths_exist(out / "ca.key", out / "ca.crt"),
    )
    if paths.reused_ca:
        authority = load_authority(paths.ca_key, paths.ca_certificate)
    else:
        authority = create_authority(node)
        write_atomically(paths.ca_key, private_key_pem(authority.key), mode=PRIVATE)
        write_atomically(paths.ca_certificate, certificate_pem(authority.certificate), mode=PUBLIC)
    ca_der = authority.certificate.public_bytes(serialization.Encoding.DER)
    write_atomically(paths.ca_der, ca_der, mode=PUBLIC)
    write_atomically(paths.ca_mobileconfig, mobileconfig(node, ca_der), mode=PUBLIC)
    key, certificate = issue_certificate(authority, dns_names[0], dns_names=dns_names, addresses=ip_addresses)
    write_atomically(paths.server_key, private_key_pem(key), mode=PRIVATE)
    write_atomically(paths.server_certificate, certificate_pem(certificate), mode=PUBLIC)
    return paths


def paths_exist(*paths: Path) -> bool:
    return all(path.exists() for path in paths)
