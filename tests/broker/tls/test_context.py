"""The listener's SSLContext: real TLS handshakes in memory (no sockets), TLS 1.2+, client certificates."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from broker.tls.certs import (
    NodeCertificates,
    certificate_pem,
    create_authority,
    create_node_certificates,
    issue_certificate,
    private_key_pem,
)
from broker.tls.context import TlsConfigError, TlsOptions, peer_identity, server_context

HANDSHAKE_ROUNDS = 20


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> NodeCertificates:
    return create_node_certificates("greenhouse", tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def client_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A client CA and a client certificate (CN "sensor-7") signed by it."""
    folder = tmp_path_factory.mktemp("clients")
    authority = create_authority("clients")
    key, certificate = issue_certificate(authority, "sensor-7", is_client=True)
    files = {"ca": folder / "ca.crt", "cert": folder / "client.crt", "key": folder / "client.key"}
    files["ca"].write_bytes(certificate_pem(authority.certificate))
    files["cert"].write_bytes(certificate_pem(certificate))
    files["key"].write_bytes(private_key_pem(key))
    return files


def client_context(made: NodeCertificates, client: dict[str, Path] | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(made.ca_certificate))
    if client is not None:
        context.load_cert_chain(client["cert"], client["key"])
    return context


def handshake(
    server: ssl.SSLContext, client: ssl.SSLContext, hostname: str = "greenhouse.local"
) -> ssl.SSLObject:
    """Run a TLS handshake through memory BIOs; return the server's SSLObject, or raise ssl.SSLError."""
    server_in, server_out, client_in, client_out = (ssl.MemoryBIO() for _ in range(4))
    server_side = server.wrap_bio(server_in, server_out, server_side=True)
    client_side = client.wrap_bio(client_in, client_out, server_hostname=hostname)
    finished: set[str] = set()
    for _ in range(HANDSHAKE_ROUNDS):
        for name, side in (("client", client_side), ("server", server_side)):
            if name not in finished:
                try:
                    side.do_handshake()
                    finished.add(name)
                except ssl.SSLWantReadError:
                    pass
            server_in.write(client_out.read())
            client_in.write(server_out.read())
        if finished == {"client", "server"}:
            client_side.write(b"ping")  # TLS 1.3 reports a refused client certificate only on first data
            server_in.write(client_out.read())
            assert server_side.read(4) == b"ping"
            return server_side
    raise AssertionError("the handshake did not finish")


def test_handshake_with_the_exported_ca_and_no_client_certificate(made: NodeCertificates) -> None:
    server = server_context(TlsOptions(made.server_certificate, made.server_key))
    accepted = handshake(server, client_context(made))
    assert accepted.version() in ("TLSv1.2", "TLSv1.3")
    assert peer_identity(accepted) is None


def test_tls_1_2_is_the_floor(made: NodeCertificates) -> None:
    server = server_context(TlsOptions(made.server_certificate, made.server_key))
    assert server.minimum_version == ssl.TLSVersion.TLSv1_2
    tls12_client = client_context(made)
    tls12_client.maximum_version = ssl.TLSVersion.TLSv1_2  # older Android apps stop here
    assert handshake(server, tls12_client).version() == "TLSv1.2"


def test_require_certificate_refuses_clients_without_one(made: NodeCertificates, client_files: dict) -> None:
    options = TlsOptions(
        made.server_certificate, made.server_key, cafile=client_files["ca"], require_certificate=True
    )
    with pytest.raises(ssl.SSLError):
        handshake(server_context(options), client_context(made))


def test_client_certificate_identity_becomes_the_username(made: NodeCertificates, client_files: dict) -> None:
    options = TlsOptions(
        made.server_certificate,
        made.server_key,
        cafile=client_files["ca"],
        require_certificate=True,
        use_identity_as_username=True,
    )
    accepted = handshake(server_context(options), client_context(made, client_files))
    assert peer_identity(accepted) == "sensor-7"


def test_a_client_certificate_from_another_ca_is_refused(made: NodeCertificates, client_files: dict) -> None:
    options = TlsOptions(
        made.server_certificate, made.server_key, cafile=made.ca_certificate, require_certificate=True
    )
    with pytest.raises(ssl.SSLError):
        handshake(server_context(options), client_context(made, client_files))


def test_optional_client_certificates(made: NodeCertificates, client_files: dict) -> None:
    server = server_context(TlsOptions(made.server_certificate, made.server_key, cafile=client_files["ca"]))
    assert peer_identity(handshake(server, client_context(made))) is None
    assert peer_identity(handshake(server, client_context(made, client_files))) == "sensor-7"


def test_configuration_errors_name_the_problem(made: NodeCertificates, tmp_path: Path) -> None:
    with pytest.raises(TlsConfigError, match="needs a cafile"):
        TlsOptions(made.server_certificate, made.server_key, require_certificate=True)
    with pytest.raises(TlsConfigError, match="needs require_certificate"):
        TlsOptions(made.server_certificate, made.server_key, use_identity_as_username=True)
    with pytest.raises(TlsConfigError, match="no such file"):
        server_context(TlsOptions(tmp_path / "absent.crt", made.server_key))
    with pytest.raises(TlsConfigError, match="cannot use this certificate and key"):
        server_context(TlsOptions(made.server_certificate, made.ca_key))
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    with pytest.raises(TlsConfigError, match="cannot load CA certificates"):
        server_context(TlsOptions(made.server_certificate, made.server_key, cafile=garbage))
