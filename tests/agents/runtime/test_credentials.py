"""The agents' connection settings: user name and password file, TLS with a CA (against Mosquitto)."""

from __future__ import annotations

import subprocess

import pytest

from tests.agents.fakes import Recorder, wait_until
from tests.agents.runtime.helpers import COUNTER, running, write_config
from tests.support.brokers import mosquitto_broker
from tests.support.tools import require_tool

pytestmark = pytest.mark.interop
# Mosquitto started as root drops to user "mosquitto", which cannot read pytest's private temp dirs.
KEEP_USER = "user root\n"
AGENTS = f'  - {{name: tally, module: "{COUNTER}", interval: 100ms}}\n'


def make_password_file(folder, user: str, password: str):
    tool = require_tool("mosquitto_passwd", "mosquitto")
    path = folder / "passwd"
    subprocess.run([tool, "-b", "-c", str(path), user, password], check=True, capture_output=True)
    path.chmod(0o600)
    return path


def test_username_and_password_file(tmp_path):
    passwd = make_password_file(tmp_path, "agents", "s3cret word")
    secret = tmp_path / "agents.secret"
    secret.write_text("s3cret word\n")
    config = f"{KEEP_USER}allow_anonymous false\npassword_file {passwd}\n"
    with mosquitto_broker(config) as broker:
        path = write_config(tmp_path, broker.port, AGENTS)
        text = path.read_text().replace(
            "keepalive: 10s}", f"keepalive: 10s, username: agents, password_file: {secret}}}"
        )
        path.write_text(text)
        with (
            running(path),
            Recorder(broker.port, "perch/t/tally/count", credentials=("agents", "s3cret word")) as r,
        ):
            wait_until(
                lambda: r.latest("perch/t/tally/count"), what="readings over an authenticated connection"
            )


def test_a_wrong_password_keeps_readings_in_the_spool(tmp_path):
    passwd = make_password_file(tmp_path, "agents", "right")
    with mosquitto_broker(f"{KEEP_USER}allow_anonymous false\npassword_file {passwd}\n") as broker:
        path = write_config(tmp_path, broker.port, AGENTS)
        path.write_text(
            path.read_text().replace("keepalive: 10s}", "keepalive: 10s, username: agents, password: wrong}")
        )
        with running(path) as runtime:
            wait_until(lambda: len(runtime.spool) >= 5, what="readings spooled while refused")
            assert not runtime.publisher.connected.is_set()


def make_certificates(folder):
    openssl = require_tool("openssl", "openssl")

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], check=True, capture_output=True, cwd=folder)

    run(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=Perch test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
    )
    run(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    )
    (folder / "san.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-days", "2", "-extfile", "san.ext", "-out", "server.crt")  # fmt: skip


def test_tls_with_the_appliance_ca(tmp_path):
    make_certificates(tmp_path)
    from tests.support.brokers import free_port

    tls_port = free_port()
    config = KEEP_USER + (f"listener {tls_port} 127.0.0.1\ncafile {tmp_path / 'ca.crt'}\n"
              f"certfile {tmp_path / 'server.crt'}\nkeyfile {tmp_path / 'server.key'}\n")  # fmt: skip
    with mosquitto_broker(config) as broker:
        path = write_config(tmp_path, tls_port, AGENTS)
        tls = f"tls: {{ca_certs: {tmp_path / 'ca.crt'}}}"
        path.write_text(path.read_text().replace("keepalive: 10s}", f"keepalive: 10s, {tls}}}"))
        with running(path), Recorder(broker.port, "perch/t/tally/count") as plain:
            wait_until(lambda: plain.latest("perch/t/tally/count"), what="readings sent over TLS")
