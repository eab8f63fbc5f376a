"""Password files: Mosquitto's $7$ (PBKDF2-SHA512) and $6$ (salted SHA-512) hashes, both directions."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from broker.auth.passwords import (
    DEFAULT_ITERATIONS,
    PBKDF2_SCHEME,
    SHA512_SCHEME,
    PasswordFile,
    PasswordFileError,
    PasswordHash,
)
from tests.support.brokers import mosquitto_broker
from tests.support.tools import require_tool

# Made once by Debian's mosquitto_passwd 2.0.11: `-c -b pw alice secret` and `-H sha512 -b pw bob hunter2`.
KNOWN_FILE = (
    "alice:$7$101$HGq5kd/6Wro5sWJG$NVu8PUqPfqVKr0WakDsjFHE6O//78T41iBGhReqbpdMn2iBWQdznnxK5JoXndho18rWkp6c"
    "I8ZDC+uUDLSGSKA==\n"
    "bob:$6$E+sP0ns/np4iwQAR$qxbT6SCAX5OKjAbZvoCnpsXGlUVK41OocX1AI6sQohwHuKxWKP9gNQ7z+mzVP39iXSsYqlD5ezDALN"
    "jEwgrBmA==\n"
)
# Mosquitto started as root switches to the "mosquitto" user, which cannot read a 0600 file of ours.
RUN_AS_CURRENT_USER = "user root\n" if os.geteuid() == 0 else ""


def mosquitto_passwd(*args: str) -> None:
    executable = require_tool("mosquitto_passwd", "mosquitto")
    subprocess.run([executable, *args], check=True, capture_output=True, timeout=10)


def test_known_mosquitto_hashes_verify() -> None:
    passwords = PasswordFile.parse(KNOWN_FILE)
    assert passwords.users == ["alice", "bob"]
    assert passwords.verify("alice", "secret")
    assert passwords.verify("bob", b"hunter2")
    assert not passwords.verify("alice", "hunter2")
    assert not passwords.verify("bob", "secret")
    assert not passwords.verify("carol", "secret")
    assert not passwords.verify("alice", None)


@pytest.mark.interop
@pytest.mark.parametrize("algorithm", ["sha512-pbkdf2", "sha512"])
def test_files_made_by_mosquitto_passwd_are_accepted(tmp_path: Path, algorithm: str) -> None:
    path = tmp_path / "passwd"
    mosquitto_passwd("-c", "-H", algorithm, "-b", str(path), "sensor", "pa ss:wörd$7$")
    mosquitto_passwd("-H", algorithm, "-b", str(path), "admin", "x")
    passwords = PasswordFile.load(path)
    assert passwords.verify("sensor", "pa ss:wörd$7$")
    assert passwords.verify("admin", "x")
    assert not passwords.verify("sensor", "pa ss:wörd$7")
    assert not passwords.verify("admin", "X")


@pytest.mark.interop
@pytest.mark.parametrize("scheme", [PBKDF2_SCHEME, SHA512_SCHEME])
def test_files_made_by_perch_are_accepted_by_mosquitto(tmp_path: Path, scheme: str) -> None:
    publish = require_tool("mosquitto_pub", "mosquitto-clients")
    passwords = PasswordFile()
    passwords.set("agents", "s3cret pass", scheme=scheme)
    passwords.set("admin", "another", scheme=scheme)
    path = tmp_path / "passwd"
    passwords.save(path)
    config = f"password_file {path}\nallow_anonymous false\n{RUN_AS_CURRENT_USER}"

    def connect(*credentials: str) -> int:
        command = [publish, "-p", str(broker.port), "-h", "127.0.0.1", "-t", "t", "-m", "1", *credentials]
        return subprocess.run(command, capture_output=True, timeout=10).returncode

    with mosquitto_broker(extra_config=config) as broker:
        assert connect("-u", "agents", "-P", "s3cret pass") == 0
        assert connect("-u", "admin", "-P", "another") == 0
        assert connect("-u", "agents", "-P", "wrong") != 0
        assert connect("-u", "nobody", "-P", "s3cret pass") != 0
        assert connect() != 0  # anonymous refused, so the accepted logins above really were checked


def test_hash_encoding_round_trips_and_has_mosquitto_sizes() -> None:
    for scheme in (PBKDF2_SCHEME, SHA512_SCHEME):
        created = PasswordHash.create("pw", scheme=scheme)
        assert len(created.salt) == 12 and len(created.digest) == 64
        assert PasswordHash.parse(created.encode()) == created
    assert PasswordHash.create("pw").encode().startswith(f"$7${DEFAULT_ITERATIONS}$")
    assert PasswordHash.create("pw", iterations=5000).encode().startswith("$7$5000$")
    assert PasswordHash.create("pw", scheme=SHA512_SCHEME).encode().startswith("$6$")


def test_salts_differ_between_users_with_the_same_password() -> None:
    first, second = PasswordHash.create("same"), PasswordHash.create("same")
    assert first.salt != second.salt and first.digest != second.digest


def test_set_change_delete_and_keep_comments(tmp_path: Path) -> None:
    source = "# managed by perch\n" + KNOWN_FILE + "\n# trailing note\n"
    passwords = PasswordFile.parse(source)
    passwords.set("alice", "changed")
    passwords.set("carol", "new")
    passwords.delete("bob")
    with pytest.raises(KeyError):
        passwords.delete("bob")
    path = tmp_path / "passwd"
    passwords.save(path)
    reloaded = PasswordFile.load(path)
    assert reloaded.users == ["alice", "carol"]
    assert reloaded.verify("alice", "changed") and not reloaded.verify("alice", "secret")
    assert reloaded.verify("carol", "new")
    lines = path.read_text().splitlines()
    assert lines[0] == "# managed by perch" and lines[-1] == "carol:" + lines[-1].split(":", 1)[1]
    assert "# trailing note" in lines


def test_save_is_private_and_atomic(tmp_path: Path) -> None:
    path = tmp_path / "passwd"
    path.write_text("old contents that are not a password file\n")
    path.chmod(0o604)
    passwords = PasswordFile()
    passwords.set("u", "p")
    passwords.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # never readable by others
    assert PasswordFile.load(path).verify("u", "p")
    assert [entry.name for entry in tmp_path.iterdir()] == ["passwd"]  # no temp file left behind


def test_crlf_blank_lines_and_whitespace_are_tolerated() -> None:
    text = "\r\n  # indented comment\r\n  alice : " + KNOWN_FILE.splitlines()[0].split(":", 1)[1] + " \r\n"
    assert PasswordFile.parse(text).verify("alice", "secret")


SALT = "HGq5kd/6Wro5sWJG"
HASH = KNOWN_FILE.splitlines()[0].rsplit("$", 1)[1]
MALFORMED = [
    ("alice", "no ':' found"),
    (f":$7$101${SALT}${HASH}", "username must not be empty"),
    ("alice:", "has no password hash"),
    (f"alice:$7$101${SALT}${HASH}:extra", "more than one ':'"),
    (f"alice:$5$101${SALT}${HASH}", "unknown hash scheme"),
    (f"alice:7$101${SALT}${HASH}", "must start with $7$ or $6$"),
    (f"alice:$7$0${SALT}${HASH}", "iterations must be between"),
    (f"alice:$7$-5${SALT}${HASH}", "iterations must be a positive whole number"),
    (f"alice:$7$99999999999${SALT}${HASH}", "iterations must be between"),
    (f"alice:$7${SALT}${HASH}", "$7$<iterations>$<salt>$<hash>"),
    (f"alice:$6$101${SALT}${HASH}", "$6$<salt>$<hash>"),
    (f"alice:$7$101$!!!!${HASH}", "salt is not valid base64"),
    (f"alice:$7$101$QUJD${HASH}", "salt must be 12 bytes"),
    (f"alice:$7$101${SALT}$QUJD", "hash must be 64 bytes"),
    (f"alice:$7$101${SALT}${HASH}\nalice:$6${SALT}${HASH}", "appears twice"),
    (f"al\x01ice:$7$101${SALT}${HASH}", "control characters"),
]


@pytest.mark.parametrize(("text", "message"), MALFORMED)
def test_malformed_lines_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "passwd"
    path.write_text("# header\n" + text + "\n")
    with pytest.raises(PasswordFileError) as caught:
        PasswordFile.load(path)
    error = str(caught.value)
    assert error.startswith(f"{path}:")
    assert message in error
    line = int(error[len(str(path)) + 1 :].split(":", 1)[0])
    assert line == (3 if "appears twice" in message else 2)


def test_invalid_utf8_and_missing_file_are_clear(tmp_path: Path) -> None:
    path = tmp_path / "passwd"
    path.write_bytes(b"\xff\xfe:$6$x$y\n")
    with pytest.raises(PasswordFileError, match=r"passwd:1: the line is not valid UTF-8"):
        PasswordFile.load(path)
    with pytest.raises(PasswordFileError, match="cannot read the password file"):
        PasswordFile.load(tmp_path / "absent")


@pytest.mark.parametrize("username", ["", "a:b", " padded", "tab\tname", "line\nbreak"])
def test_set_refuses_usernames_that_cannot_be_stored(username: str) -> None:
    with pytest.raises(ValueError):
        PasswordFile().set(username, "pw")
