"""perch cert --client: client certificates that a real Mosquitto accepts, with the CN as the username."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12

from broker.tls.certs import CertificateError, NodeCertificates, create_node_certificates
from broker.tls.clients import create_client_certificate
from perch import main as perch_main
from tests.support.brokers import free_port, mosquitto_broker, wait_for_port
from tests.support.tools import require_tool

RUN_AS_CURRENT_USER = "user root\n" if os.geteuid() == 0 else ""  # Mosquitto drops root for "mosquitto"


@pytest.fixture
def node(tmp_path: Path) -> NodeCertificates:
    return create_node_certificates("greenhouse", tmp_path / "tls", addresses=["127.0.0.1"])


def test_bundle_for_phones_opens_with_its_password(node: NodeCertificates) -> None:
    made = create_client_certificate(node.ca_key.parent, "phone-anna", p12_password="s3cret")
    assert made.bundle is not None
    key, certificate, extra = pkcs12.load_key_and_certificates(made.bundle.read_bytes(), b"s3cret")
    assert key is not None and certificate is not None
    assert certificate.subject.rfc4514_string() == "CN=phone-anna"
    node_ca = x509.load_pem_x509_certificate(node.ca_certificate.read_bytes())
    assert extra == [node_ca]  # the chain travels with the bundle
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(made.bundle.read_bytes(), b"wrong")
    openssl = require_tool("openssl", "openssl")
    command = [
        openssl,
        "verify",
        "-purpose",
        "sslclient",
        "-CAfile",
        str(node.ca_certificate),
        str(made.certificate),
    ]
    check = subprocess.run(command, capture_output=True, text=True, timeout=20)
    assert check.returncode == 0, check.stderr


@pytest.mark.parametrize(
    ("name", "password", "message"),
    [("../evil", None, "not a usable client name"), (".hidden", None, "not a usable client name"),
     ("a" * 65, None, "not a usable client name"), ("ok", "", "must not be empty")],
)  # fmt: skip
def test_bad_requests(node: NodeCertificates, name: str, password: str | None, message: str) -> None:
    with pytest.raises(CertificateError, match=message):
        create_client_certificate(node.ca_key.parent, name, password)


def test_a_client_certificate_needs_the_ca_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert perch_main(["cert", "--node", "n", "--out", str(tmp_path), "--client", "phone"]) == 2
    assert "run 'perch cert --node NAME" in capsys.readouterr().err


@pytest.mark.interop
def test_mosquitto_takes_the_username_from_the_client_certificate(
    node: NodeCertificates, tmp_path: Path
) -> None:
    subscribe = require_tool("mosquitto_sub", "mosquitto-clients")
    publish = require_tool("mosquitto_pub", "mosquitto-clients")
    out = node.ca_key.parent
    assert perch_main(["cert", "--node", "greenhouse", "--out", str(out), "--client", "phone-anna"]) == 0
    assert perch_main(["cert", "--node", "greenhouse", "--out", str(out), "--client", "phone-bert"]) == 0
    acl = tmp_path / "acl"
    # Anonymous clients (on the plain listener) may leave a retained end marker for bert, who reads only that.
    acl.write_text(
        "topic write end/bert\n"
        "user phone-anna\ntopic read $SYS/broker/version\n"
        "user phone-bert\ntopic read end/bert\n"
    )
    tls_port = free_port()
    config = (
        f"{RUN_AS_CURRENT_USER}acl_file {acl}\nlistener {tls_port} 127.0.0.1\n"
        f"certfile {node.server_certificate}\nkeyfile {node.server_key}\ncafile {node.ca_certificate}\n"
        "require_certificate true\nuse_identity_as_username true\n"
    )

    def read_version(*certificate: str) -> subprocess.CompletedProcess[str]:
        """The first retained message of $SYS/broker/version, then end/bert (retained messages come in
        subscription order, so a readable version always comes first)."""
        command = [subscribe, "-h", "127.0.0.1", "-p", str(tls_port), "--cafile", str(node.ca_certificate),
                   "-t", "$SYS/broker/version", "-t", "end/bert", "-C", "1", "-W", "10",
                   *certificate]  # fmt: skip
        return subprocess.run(command, capture_output=True, text=True, timeout=20)

    def client_files(name: str) -> list[str]:
        return ["--cert", str(out / "clients" / f"{name}.crt"), "--key", str(out / "clients" / f"{name}.key")]

    with mosquitto_broker(extra_config=config) as broker:
        wait_for_port("127.0.0.1", tls_port)
        marker = [
            publish,
            "-h",
            "127.0.0.1",
            "-p",
            str(broker.port),
            "-t",
            "end/bert",
            "-m",
            "end",
            "-r",
            "-q",
            "1",
        ]
        subprocess.run(marker, check=True, capture_output=True, timeout=20)
        anna = read_version(*client_files("phone-anna"))
        assert anna.returncode == 0 and anna.stdout.startswith("mosquitto version"), anna.stderr
        assert read_version().returncode != 0  # no certificate, no connection
        bert = read_version(*client_files("phone-bert"))
        assert bert.returncode == 0 and bert.stdout == "end\n", bert.stderr  # its CN's section: no version
