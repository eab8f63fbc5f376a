"""``perch passwd``: mosquitto_passwd's flags, prompts and exit codes."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from broker.auth.passwords import PasswordFile
from perch import main as perch_main
from tests.support.brokers import REPO_ROOT


def test_create_add_change_delete(tmp_path: Path) -> None:
    path = tmp_path / "passwd"
    assert perch_main(["passwd", "-c", "-b", str(path), "admin", "first"]) == 0
    assert perch_main(["passwd", "-b", str(path), "agents", "second"]) == 0
    assert perch_main(["passwd", "-b", "-H", "sha512", str(path), "admin", "changed"]) == 0
    passwords = PasswordFile.load(path)
    assert passwords.verify("admin", "changed") and passwords.verify("agents", "second")
    assert path.read_text().startswith("admin:$6$")
    assert perch_main(["passwd", "-D", str(path), "agents"]) == 0
    assert PasswordFile.load(path).users == ["admin"]


def test_create_replaces_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "passwd"
    assert perch_main(["passwd", "-c", "-b", str(path), "old", "x"]) == 0
    assert perch_main(["passwd", "-c", "-b", str(path), "new", "y"]) == 0
    assert PasswordFile.load(path).users == ["new"]


@pytest.mark.parametrize(
    ("arguments", "code", "message"),
    [
        (["-c", "-D", "{file}", "u"], 2, "-c and -D cannot be used together"),
        (["-b", "{file}", "u"], 2, "exactly when -b is used"),
        (["{file}", "u", "pw"], 2, "exactly when -b is used"),
        (["-b", "{file}", "a:b", "pw"], 2, "must not contain ':'"),
        (["-b", "{file}", "u", ""], 2, "must not be empty"),
        (["-b", "{missing}", "u", "pw"], 2, "cannot read the password file"),
        (["-D", "{file}", "nobody"], 1, "is not in"),
        (["-b", "-I", "0", "{file}", "u", "pw"], 2, "iterations must be between"),
    ],
)
def test_bad_requests_are_refused_and_change_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], code: int, message: str
) -> None:
    path = tmp_path / "passwd"
    assert perch_main(["passwd", "-c", "-b", str(path), "keep", "me"]) == 0
    before = path.read_bytes()
    names = {"file": str(path), "missing": str(tmp_path / "missing")}
    assert perch_main(["passwd", *(argument.format(**names) for argument in arguments)]) == code
    assert message in capsys.readouterr().err
    assert path.read_bytes() == before


def test_prompts_twice_on_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "passwd"
    prompts: list[str] = []
    answers = iter(["typed secret", "typed secret", "one", "two"])

    def fake_getpass(prompt: str) -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    monkeypatch.setattr(sys, "stdin", type("Tty", (io.StringIO,), {"isatty": lambda self: True})())
    assert perch_main(["passwd", "-c", str(path), "alice"]) == 0
    assert prompts == ["Password: ", "Reenter password: "]
    assert PasswordFile.load(path).verify("alice", "typed secret")
    assert perch_main(["passwd", str(path), "alice"]) == 2  # "one" != "two"
    assert PasswordFile.load(path).verify("alice", "typed secret")


def test_reads_both_passwords_from_a_pipe(tmp_path: Path) -> None:
    path = tmp_path / "passwd"
    command = [sys.executable, "-m", "perch", "passwd", "-c", str(path), "piped"]
    result = subprocess.run(command, input="from pipe\nfrom pipe\n", text=True, capture_output=True,
                            cwd=REPO_ROOT, timeout=30)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert PasswordFile.load(path).verify("piped", "from pipe")
    mismatch = subprocess.run(
        command, input="a\nb\n", text=True, capture_output=True, cwd=REPO_ROOT, timeout=30
    )
    assert mismatch.returncode == 2 and "do not match" in mismatch.stderr
