"""perch cert: the node CA and server certificate, checked by OpenSSL and by a real Mosquitto TLS listener."""

from __future__ import annotations

import os
import plistlib
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from broker.tls.certs import CertificateError, NodeCertificates, create_node_certificates
from perch import main as perch_main
from tests.support.brokers import free_port, mosquitto_broker, wait_for_port
from tests.support.tools import require_tool

RUN_AS_CURRENT_USER = "user root\n" if os.geteuid() == 0 else ""  # Mosquitto drops root for "mosquitto"


def openssl(*args: str) -> subprocess.CompletedProcess[str]:
    executable = require_tool("openssl", "openssl")
    return subprocess.run([executable, *args], capture_output=True, text=True, timeout=20)


@pytest.fixture
def made(tmp_path: Path) -> NodeCertificates:
    return create_node_certificates(
        "greenhouse", tmp_path / "tls", hostnames=["localhost", "pi.example"], addresses=["127.0.0.1", "::1"]
    )


def load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_openssl_verifies_the_server_certificate_for_each_name(made: NodeCertificates) -> None:
    for check in (
        ["-verify_hostname", "greenhouse.local"],
        ["-verify_hostname", "greenhouse"],
        ["-verify_hostname", "pi.example"],
        ["-verify_ip", "127.0.0.1"],
        ["-verify_ip", "::1"],
    ):
        result = openssl("verify", "-purpose", "sslserver", "-CAfile", str(made.ca_certificate), *check,
                         str(made.server_certificate))  # fmt: skip
        assert result.returncode == 0 and result.stdout.strip().endswith("OK"), result.stderr
    wrong = openssl("verify", "-CAfile", str(made.ca_certificate), "-verify_hostname", "other.local",
                    str(made.server_certificate))  # fmt: skip
    assert wrong.returncode != 0


def test_certificate_contents(made: NodeCertificates) -> None:
    authority, server = load(made.ca_certificate), load(made.server_certificate)
    assert authority.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert not server.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == [
        "greenhouse.local",
        "greenhouse",
        "localhost",
        "pi.example",
    ]
    assert [str(address) for address in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1", "::1"]
    usages = server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usages) == [ExtendedKeyUsageOID.SERVER_AUTH]  # iOS 13+ requires serverAuth
    lifetime = server.not_valid_after_utc - server.not_valid_before_utc
    assert lifetime.days <= 825  # Apple's limit for TLS server certificates
    assert server.issuer == authority.subject


def test_ca_exports_for_android_and_ios(made: NodeCertificates) -> None:
    der = made.ca_der.read_bytes()
    assert x509.load_der_x509_certificate(der) == load(made.ca_certificate)
    profile = plistlib.loads(made.ca_mobileconfig.read_bytes())
    assert profile["PayloadType"] == "Configuration"
    (payload,) = profile["PayloadContent"]
    assert payload["PayloadType"] == "com.apple.security.root"
    assert payload["PayloadContent"] == der
    assert profile["PayloadUUID"] != payload["PayloadUUID"]


def test_private_keys_are_private(made: NodeCertificates) -> None:
    assert stat.S_IMODE(made.ca_key.stat().st_mode) == 0o600
    assert stat.S_IMODE(made.server_key.stat().st_mode) == 0o600
    assert stat.S_IMODE(made.server_certificate.stat().st_mode) == 0o644


def test_rerun_keeps_the_ca_that_phones_already_trust(made: NodeCertificates, tmp_path: Path) -> None:
    first_ca, first_server = made.ca_certificate.read_bytes(), made.server_certificate.read_bytes()
    again = create_node_certificates("greenhouse", tmp_path / "tls", hostnames=["new-name"])
    assert again.reused_ca
    assert again.ca_certificate.read_bytes() == first_ca
    assert again.server_certificate.read_bytes() != first_server
    assert openssl("verify", "-CAfile", str(again.ca_certificate), "-verify_hostname", "new-name",
                   str(again.server_certificate)).returncode == 0  # fmt: skip
    replaced = create_node_certificates("greenhouse", tmp_path / "tls", new_ca=True)
    assert not replaced.reused_ca and replaced.ca_certificate.read_bytes() != first_ca


@pytest.mark.parametrize(
    ("node", "hostnames", "addresses", "message"),
    [
        ("green house", [], [], "not a valid host name"),
        ("-node", [], [], "not a valid host name"),
        ("node", ["bad_name"], [], "not a valid host name"),
        ("node", [], ["300.1.1.1"], "not an IPv4 or IPv6 address"),
    ],
)
def test_bad_names_are_refused_before_anything_is_written(
    tmp_path: Path, node: str, hostnames: list[str], addresses: list[str], message: str
) -> None:
    with pytest.raises(CertificateError, match=message):
        create_node_certificates(node, tmp_path / "tls", hostnames, addresses)
    assert not (tmp_path / "tls").exists()


def test_a_foreign_key_next_to_the_ca_is_refused(made: NodeCertificates, tmp_path: Path) -> None:
    made.ca_key.write_bytes(made.server_key.read_bytes())
    with pytest.raises(CertificateError, match="is not the key of"):
        create_node_certificates("greenhouse", tmp_path / "tls")


def test_perch_cert_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "tls"
    assert perch_main(["cert", "--node", "barn", "--out", str(out), "--ip", "10.0.0.7"]) == 0
    assert "created CA" in capsys.readouterr().out
    assert sorted(path.name for path in out.iterdir()) == [
        "barn-ca.mobileconfig", "ca.cer", "ca.crt", "ca.key", "server.crt", "server.key",
    ]  # fmt: skip
    assert perch_main(["cert", "--node", "barn", "--out", str(out)]) == 0
    assert "reused CA" in capsys.readouterr().out
    assert perch_main(["cert", "--node", "bad name", "--out", str(out)]) == 2
    assert "not a valid host name" in capsys.readouterr().err


@pytest.mark.interop
def test_mosquitto_clients_connect_over_tls_with_the_exported_ca(
    made: NodeCertificates, tmp_path: Path
) -> None:
    publish = require_tool("mosquitto_pub", "mosquitto-clients")
    subscribe = require_tool("mosquitto_sub", "mosquitto-clients")
    tls_port = free_port()
    config = (
        f"{RUN_AS_CURRENT_USER}listener {tls_port} 127.0.0.1\n"
        f"certfile {made.server_certificate}\nkeyfile {made.server_key}\n"
    )
    other = create_node_certificates("other", tmp_path / "other")

    def run(tool: str, host: str, cafile: Path, *args: str) -> subprocess.CompletedProcess[str]:
        command = [tool, "-h", host, "-p", str(tls_port), "--cafile", str(cafile), "-t", "perch/tls", *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=20)

    with mosquitto_broker(extra_config=config):
        wait_for_port("127.0.0.1", tls_port)
        sent = run(publish, "127.0.0.1", made.ca_certificate, "-r", "-q", "1", "-m", "over tls")
        assert sent.returncode == 0, sent.stderr
        received = run(subscribe, "localhost", made.ca_certificate, "-C", "1", "-W", "10")
        assert received.returncode == 0 and received.stdout.strip() == "over tls", received.stderr
        refused = run(subscribe, "127.0.0.1", other.ca_certificate, "-C", "1", "-W", "10")
        assert refused.returncode != 0  # a certificate from another node's CA is not trusted
