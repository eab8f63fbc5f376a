"""bench.footprint's set-up: the units' environment, where simulator files go, and what the report says."""

from __future__ import annotations

from pathlib import Path

from bench import footprint


def test_children_get_the_units_environment_and_the_sim_dir_only_when_asked(monkeypatch):
    monkeypatch.setenv("PERCH_SIM_DIR", "/somewhere/else")
    without = footprint.environment(None)
    assert without["MALLOC_ARENA_MAX"] == "2"
    assert "PERCH_SIM_DIR" not in without
    assert footprint.environment(Path("/dev/shm"))["PERCH_SIM_DIR"] == "/dev/shm"


def test_only_a_tmpfs_mount_point_counts_as_tmpfs(tmp_path):
    assert footprint.is_tmpfs(tmp_path) is False
    mounts = [line.split() for line in Path("/proc/mounts").read_text().splitlines()]
    tmpfs_mounts = [Path(fields[1]) for fields in mounts if fields[2] == "tmpfs"]
    for mount in tmpfs_mounts:
        assert footprint.is_tmpfs(mount)


def test_the_report_says_where_the_simulator_files_were():
    result = footprint.Footprint(50 * 2**20, 20 * 2**20, 0.02, 1.0, 2**20, 2**20, 300, 10.0, "tmpfs /dev/shm")
    text = footprint.render(result)
    assert "| total RSS, broker + agents (peak) | 50.0 MB | ≤ 60 MB | met |" in text
    assert "| CPU, share of one core | 2.00 % | ≤ 3 % | met |" in text
    assert "fake /proc and /sys files were on tmpfs /dev/shm" in text
    assert "MALLOC_ARENA_MAX=2" in text
