"""First-boot secrets (image/firstboot.py), run here on temporary folders instead of /etc/perch."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from broker.auth.passwords import PasswordFile
from image import firstboot
from tests.support.brokers import mosquitto_broker
from tests.support.tools import require_root, require_tool


@pytest.fixture(params=["perch passwd", "fallback"])
def tools(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways of making secrets: Perch's own commands, and the fallback for an older Perch."""
    require_root()  # the files are chowned to root:perch
    if request.param == "fallback":
        monkeypatch.setattr(firstboot, "has_security_commands", lambda: False)
    else:
        assert firstboot.has_security_commands()
    return request.param


def test_agents_password_is_made_once_and_accepted_by_the_broker(tmp_path: Path, tools: str) -> None:
    assert firstboot.ensure_agents_credentials(tmp_path, os.getgid())
    secret = (tmp_path / "agents.secret").read_text().strip()
    passwd = tmp_path / "passwd"
    assert len(secret) >= 24
    for path in (tmp_path / "agents.secret", passwd):
        assert path.stat().st_mode & 0o777 == 0o640 and path.stat().st_gid == os.getgid()
    assert PasswordFile.load(passwd).verify("agents", secret)
    assert not PasswordFile.load(passwd).verify("agents", secret + "x")
    before = passwd.read_bytes()
    assert not firstboot.ensure_agents_credentials(tmp_path, os.getgid()), "a second run keeps the secrets"
    assert passwd.read_bytes() == before


def test_a_password_that_starts_with_a_dash_is_stored_not_read_as_an_option(
    tmp_path: Path, tools: str
) -> None:
    # token_urlsafe once produced "-7eE..." and `perch passwd` took it for a flag (exit 2) on a test Pi.
    passwd = tmp_path / "passwd"
    firstboot.add_broker_user(passwd, "admin", "-7eEnU0qWjKpR2Ya", os.getgid())
    assert PasswordFile.load(passwd).verify("admin", "-7eEnU0qWjKpR2Ya")


def test_admin_password_is_root_only_made_once_and_kept_beside_the_agents(tmp_path: Path, tools: str) -> None:
    assert firstboot.ensure_agents_credentials(tmp_path, os.getgid())
    agents_secret = (tmp_path / "agents.secret").read_text().strip()
    assert firstboot.ensure_admin_credentials(tmp_path, os.getgid())
    admin = tmp_path / "admin.secret"
    secret = admin.read_text().strip()
    assert len(secret) >= 24 and secret != agents_secret
    assert admin.stat().st_mode & 0o777 == 0o600 and (admin.stat().st_uid, admin.stat().st_gid) == (0, 0)
    passwd = tmp_path / "passwd"
    assert passwd.stat().st_mode & 0o777 == 0o640 and passwd.stat().st_gid == os.getgid()
    users = PasswordFile.load(passwd)
    assert users.verify("admin", secret) and not users.verify("admin", agents_secret)
    assert users.verify("agents", agents_secret), "adding admin keeps the agents' entry"
    before = passwd.read_bytes()
    assert not firstboot.ensure_admin_credentials(tmp_path, os.getgid()), "a second run keeps the secret"
    assert passwd.read_bytes() == before and admin.read_text().strip() == secret


def test_main_reports_created_then_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``main`` makes both broker users and the certificate once; Fabric looks for "created"."""
    require_root()
    require_tool("openssl", "openssl")
    monkeypatch.setattr(firstboot, "CONFIG_DIR", tmp_path)
    monkeypatch.setattr(firstboot, "perch_group_id", os.getgid)
    assert firstboot.main() == 0
    assert capsys.readouterr().out.strip() == "credentials created, certificate created"
    assert {path.name for path in tmp_path.glob("*.secret")} == {"agents.secret", "admin.secret"}
    assert firstboot.main() == 0
    assert capsys.readouterr().out.strip() == "credentials kept, certificate kept"


@pytest.mark.interop
def test_fallback_password_line_works_in_mosquitto() -> None:
    """The fallback writes Mosquitto's own $7$ format, so Mosquitto itself accepts it."""
    publish = require_tool("mosquitto_pub", "mosquitto-clients")
    folder = Path(tempfile.mkdtemp(prefix="perch-passwd-"))  # readable by the user Mosquitto drops to
    os.chmod(folder, 0o755)
    passwd = folder / "passwd"
    passwd.write_text(firstboot.mosquitto_password_line("agents", "s3cret-pass") + "\n")
    os.chmod(passwd, 0o644)
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, folder)
        broker = cleanup.enter_context(mosquitto_broker(f"password_file {passwd}\n"))
        common = [publish, "-h", "127.0.0.1", "-p", str(broker.port), "-t", "t", "-m", "1", "-u", "agents"]
        assert subprocess.run([*common, "-P", "s3cret-pass"], capture_output=True, timeout=20).returncode == 0
        refused = subprocess.run([*common, "-P", "wrong"], capture_output=True, timeout=20)
        assert refused.returncode != 0


def test_tls_certificate_names_the_host_and_its_key_is_group_readable(tmp_path: Path, tools: str) -> None:
    tls = tmp_path / "tls"
    assert firstboot.ensure_tls_certificate(tls, "greenhouse", "greenhouse", os.getgid())
    openssl = require_tool("openssl", "openssl")
    text = subprocess.run([openssl, "x509", "-noout", "-text", "-in", str(tls / "server.crt")],
                          capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert "DNS:greenhouse.local" in text
    assert (tls / "server.key").stat().st_mode & 0o777 == 0o640
    assert tls.stat().st_mode & 0o777 == 0o750
    other_keys = [path for path in tls.glob("*.key") if path.name != "server.key"]
    assert all(path.stat().st_mode & 0o077 == 0 for path in other_keys), "a CA key must stay private"
    assert not firstboot.ensure_tls_certificate(tls, "greenhouse", "greenhouse", os.getgid())


def test_node_name_comes_from_the_config(tmp_path: Path) -> None:
    (tmp_path / "perch.yaml").write_text("node: barn\n")
    assert firstboot.node_name(tmp_path / "perch.yaml") == "barn"
