"""Hot reload: only added, changed and removed agents are touched; a bad file changes nothing."""

from __future__ import annotations

import os

from agents.runtime.reload import Reloader
from tests.agents.fakes import INSTANCES, Recorder, wait_until
from tests.agents.runtime.helpers import COUNTER, running, write_config


def agent_line(name: str, start: int = 0) -> str:
    return f'  - {{name: {name}, module: "{COUNTER}", interval: 100ms, label: {name}, start: {start}}}\n'


def rewrite(path, text: str) -> None:
    """Write and move the mtime forward, so a change is seen even within one clock tick."""
    stat = path.stat()
    path.write_text(text)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))


def test_reload_adds_changes_and_removes_only_what_changed(perch, tmp_path):
    path = write_config(tmp_path, perch.port, agent_line("keep") + agent_line("edit") + agent_line("drop"))
    reports: list[str] = []
    with running(path) as runtime, Recorder(perch.port, "#") as live:
        reloader = Reloader(runtime, path, report=reports.append)
        wait_until(lambda: live.latest("homeassistant/sensor/t_drop_count/config"), what="drop announced")
        keep_runner, keep_driver = runtime.runners["keep"], INSTANCES["keep"]
        assert reloader.check() is None  # nothing changed yet
        text = path.read_text().replace(agent_line("drop"), "")
        rewrite(path, text.replace(agent_line("edit"), agent_line("edit", 1000)) + agent_line("new"))
        changes = reloader.check()
        assert (changes.added, changes.removed, changes.changed) == (["new"], ["drop"], ["edit"])
        assert runtime.runners["keep"] is keep_runner and INSTANCES["keep"] is keep_driver
        wait_until(lambda: live.latest("perch/t/new/count"), what="readings of the added agent")
        wait_until(lambda: int(live.latest("perch/t/edit/count")) >= 1000, what="the changed agent restarted")
        wait_until(
            lambda: live.latest("homeassistant/sensor/t_drop_count/config") == "", what="discovery removed"
        )
        wait_until(lambda: live.latest("perch/t/drop/count") == "", what="retained value cleared")
        assert sorted(runtime.runners) == ["edit", "keep", "new"]
        assert reports[-1] == "config reloaded: added new; removed drop; restarted edit"


def test_an_invalid_config_is_reported_and_the_agents_keep_running(perch, tmp_path):
    path = write_config(tmp_path, perch.port, agent_line("steady"))
    reports: list[str] = []
    with running(path) as runtime, Recorder(perch.port, "perch/t/steady/count") as live:
        reloader = Reloader(runtime, path, report=reports.append)
        wait_until(lambda: live.latest("perch/t/steady/count"), what="first readings")
        rewrite(path, path.read_text() + "  - {name: typo, module: '" + COUNTER + "', intervl: 5s}\n")
        assert reloader.check() is None
        assert "config not reloaded, the running agents continue" in reports[-1]
        assert (
            f"{path}:6:" in reports[-1]
            and "intervl: unknown option 'intervl' (did you mean 'interval'?)" in reports[-1]
        )
        before = len(live.payloads("perch/t/steady/count"))
        wait_until(lambda: len(live.payloads("perch/t/steady/count")) >= before + 3, what="readings go on")
        assert list(runtime.runners) == ["steady"]


def test_drop_in_files_are_watched_too(perch, tmp_path):
    path = write_config(tmp_path, perch.port, agent_line("main"))
    with running(path) as runtime, Recorder(perch.port, "perch/t/extra/count") as live:
        reloader = Reloader(runtime, path, report=lambda text: None)
        (tmp_path / "agents.d").mkdir()
        (tmp_path / "agents.d" / "extra.yaml").write_text(agent_line("extra").replace("  - ", "- ", 1))
        assert reloader.check().added == ["extra"]
        wait_until(lambda: live.latest("perch/t/extra/count"), what="drop-in agent readings")
        (tmp_path / "agents.d" / "extra.yaml").unlink()
        assert reloader.check().removed == ["extra"]
