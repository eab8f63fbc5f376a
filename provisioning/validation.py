"""Config checks with the same code and the same messages as ``perch check``, before anything is sent.

A file is first checked on its own, exactly as ``perch check FILE`` would. Then, on each host, it is
checked together with what it will live with on the node (the node's main file and ``agents.d/``
drop-ins, e.g. two agents with one name), in a local staging folder whose paths are named back as
``FILE`` and ``host:/etc/perch/...`` in the messages.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from provisioning.errors import BadInputError

NODE_CONFIG = "/etc/perch/perch.yaml"
NODE_DROP_INS = "/etc/perch/agents.d"


def _raise_config_error(error: Exception, renames: dict[str, str]) -> None:
    text = str(error)
    for staged, shown in renames.items():
        text = text.replace(staged, shown)
    count = len(getattr(error, "issues", [])) or 1
    raise BadInputError(f"{text}\n{count} error(s) in the config: nothing was changed") from None


def check_config_file(path: Path) -> None:
    """``perch check FILE``'s validation of an appliance config (with its local ``agents.d/``)."""
    from agents.config.errors import ConfigError
    from agents.config.loader import load_config

    if not path.is_file():
        raise BadInputError(f"{path}: no such file")
    try:
        load_config(path)
    except ConfigError as error:
        _raise_config_error(error, {})


def check_drop_in_file(path: Path) -> None:
    """The validation ``perch check`` applies to one ``agents.d/`` file."""
    from agents.config.errors import ConfigError
    from agents.config.loader import load_drop_in
    from agents.drivers.registry import default_registry

    if not path.is_file():
        raise BadInputError(f"{path}: no such file")
    if path.suffix != ".yaml":
        raise BadInputError(f"{path}: an agents.d file must end in .yaml (the agents read only those)")
    issues: list = []
    load_drop_in(default_registry(), path, issues)
    if issues:
        _raise_config_error(ConfigError(issues), {})


def check_on_node(host: str, main_text: str, drop_ins: dict[str, str], shown_as: dict[str, str]) -> None:
    """Validate a node's would-be config: ``main_text`` as perch.yaml plus ``drop_ins`` (name -> text).

    ``shown_as`` names files in messages (``"perch.yaml"`` or a drop-in name -> a local path); the
    others are shown as ``host:/etc/perch/...``.
    """
    from agents.config.errors import ConfigError
    from agents.config.loader import load_config

    with tempfile.TemporaryDirectory(prefix="perch-stage-") as folder:
        stage = Path(folder)
        (stage / "agents.d").mkdir()
        (stage / "perch.yaml").write_text(main_text, encoding="utf-8")
        for name, text in drop_ins.items():
            (stage / "agents.d" / name).write_text(text, encoding="utf-8")
        renames = {str(stage / "agents.d" / name): shown for name, shown in shown_as.items()}
        renames.setdefault(str(stage / "perch.yaml"), shown_as.get("perch.yaml", f"{host}:{NODE_CONFIG}"))
        renames[str(stage / "agents.d")] = f"{host}:{NODE_DROP_INS}"
        try:
            load_config(stage / "perch.yaml")
        except ConfigError as error:
            _raise_config_error(error, renames)


def main(argv: list[str] | None = None) -> int:
    """``python -m provisioning.validation --drop-in FILE``: check one agents.d file (Ansible validate)."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m provisioning.validation")
    parser.add_argument("--drop-in", type=Path, required=True, metavar="FILE")
    args = parser.parse_args(argv)
    try:
        _check_drop_in_text(args.drop_in)
    except BadInputError as error:
        print(error, file=sys.stderr)
        return 2
    return 0


def _check_drop_in_text(path: Path) -> None:
    """Like check_drop_in_file, for a file of any name (Ansible validates a temporary copy)."""
    with tempfile.TemporaryDirectory(prefix="perch-drop-in-") as folder:
        copy = Path(folder) / "drop-in.yaml"
        copy.write_bytes(path.read_bytes())
        try:
            check_drop_in_file(copy)
        except BadInputError as error:
            raise BadInputError(str(error).replace(str(copy), str(path))) from None


if __name__ == "__main__":
    raise SystemExit(main())
