"""`perch provision` without any node: usage errors, local validation before any connection, exit codes,
one-line errors for hosts that cannot be reached. None of these needs root."""

from __future__ import annotations

from pathlib import Path

import pytest

from perch import main
from tests.provisioning.testpi import run_provision

VALID = "node: n1\nagents:\n  - name: climate\n    type: bme280\n    address: 0x76\n"
UNREACHABLE = "pi@127.0.0.1:1"  # nothing listens on port 1: refused at once


def provision(capsys: pytest.CaptureFixture[str], *words: str) -> tuple[int, str, str]:
    code = main(["provision", "--timeout", "3", *words])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_no_host_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = provision(capsys, "status")
    assert code == 2
    assert "no host given" in err


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["h", "config"], "expected `config push FILE`"),
        (["h", "agent", "remove", "x.yaml"], "expected `agent add FILE`"),
        (["h", "status", "extra"], "status takes no arguments"),
        (["h", "logs", "-n", "0"], "expected a positive number of lines"),
        (["bad host", "status"], "is not a host"),
        (["pi@h:99999", "status"], "port must be 1-65535"),
        (["--key", "/nonexistent/key", "h", "status"], "--key /nonexistent/key: no such file"),
        (["h", "deploy", "--wheels", "/nonexistent"], "--wheels /nonexistent: no such folder"),
        (["h", "wheels", "dir"], "wheels runs here, on no host"),
    ],
)
def test_bad_usage_is_exit_2_with_the_reason(
    capsys: pytest.CaptureFixture[str], words: list[str], message: str
) -> None:
    code, _, err = provision(capsys, *words)
    assert code == 2
    assert message in err


def test_an_invalid_config_is_refused_before_connecting(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "perch.yaml"
    bad.write_text(VALID.replace("address: 0x76", "address: 0x76\n    adress: 0x77"))
    code, out, err = provision(capsys, UNREACHABLE, "config", "push", str(bad))
    assert code == 2  # not 1: the host was never contacted
    assert f"{bad}:6:5: agents[0].adress: unknown option 'adress' (did you mean 'address'?)" in err
    assert "nothing was changed" in err
    assert "unreachable" not in err and out == ""


def test_the_same_errors_as_perch_check(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "perch.yaml"
    bad.write_text(VALID.replace("bme280", "bme208"))
    assert main(["check", str(bad)]) == 2
    checked = capsys.readouterr().err.splitlines()[0]
    code, _, err = provision(capsys, UNREACHABLE, "config", "push", str(bad))
    assert code == 2
    assert err.splitlines()[0] == f"perch provision: {checked}"


def test_a_drop_in_must_be_a_valid_yaml_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    wrong_suffix = tmp_path / "soil.yml"
    wrong_suffix.write_text("- name: soil\n  type: sht3x\n")
    code, _, err = provision(capsys, UNREACHABLE, "agent", "add", str(wrong_suffix))
    assert code == 2 and "must end in .yaml" in err
    invalid = tmp_path / "soil.yaml"
    invalid.write_text("- name: soil\n  type: sht3x\n  interval: soon\n")
    code, _, err = provision(capsys, UNREACHABLE, "agent", "add", str(invalid))
    assert code == 2
    assert f"{invalid}:3:13: " in err


def test_an_unreachable_host_is_one_line_and_exit_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "perch.yaml"
    config.write_text(VALID)
    code, out, err = provision(capsys, UNREACHABLE, "config", "push", str(config))
    assert code == 1
    assert err == f"{UNREACHABLE}: error: unreachable: connection refused\n"
    assert out == ""


def test_an_unknown_host_name_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = provision(capsys, "pi@no-such-host.invalid", "status")
    assert code == 1
    assert err.startswith("pi@no-such-host.invalid: error: unreachable: unknown host name")
    assert len(err.splitlines()) == 1


def test_password_comes_from_the_file_and_must_not_be_empty(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    empty = tmp_path / "empty.secret"
    empty.write_text("\n")
    code, _, err = provision(capsys, UNREACHABLE, "passwd", "phone", "--password-file", str(empty))
    assert code == 2 and "must not be empty" in err


def test_the_command_line_entry_point_prints_the_tasks() -> None:
    result = run_provision("--help")
    assert result.returncode == 0
    for task in (
        "setup [CONFIG]",
        "bootstrap",
        "deploy",
        "config push FILE",
        "agent add FILE",
        "status",
        "logs",
    ):
        assert task in result.stdout
