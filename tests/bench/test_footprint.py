"""bench.footprint's set-up: the units' environment, where simulator files go, and what the report says."""

from __future__ import annotations

import os
from pathlib import Path

from bench import footprint
from bench.client import pss_bytes, rss_bytes


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


def test_the_report_splits_cpu_by_process_and_keeps_the_measuring_subscriber_out_of_the_total():
    result = footprint.Footprint(
        50 * 2**20,
        20 * 2**20,
        0.025,
        1.0,
        0,
        0,
        300,
        10.0,
        broker_cpu_share=0.01,
        agents_cpu_share=0.015,
        watcher_cpu_share=0.004,
    )
    lines = footprint.render(result).splitlines()
    cpu_row = lines.index("| CPU, share of one core | 2.50 % | ≤ 3 % | met |")
    assert lines[cpu_row + 1 : cpu_row + 4] == [
        "| of which the broker | 1.00 % |  |  |",
        "| of which the agents | 1.50 % |  |  |",
        "| measuring subscriber (not in the total) | 0.40 % |  |  |",
    ]
    assert "| of which the agents | 30.0 MB |  |  |" in lines


def test_a_result_without_the_split_says_so():
    result = footprint.Footprint(50 * 2**20, 20 * 2**20, 0.02, 1.0, 0, 0, 300, 10.0)
    assert "| of which the broker | n/a |  |  |" in footprint.render(result)


def test_the_report_gives_the_pss_beside_the_rss_total():
    result = footprint.Footprint(50 * 2**20, 20 * 2**20, 0.02, 1.0, 0, 0, 300, 10.0, pss_bytes=41 * 2**20)
    assert "| PSS, broker + agents (shared pages counted once) | 41.0 MB |  |  |" in footprint.render(result)


def test_pss_of_this_process_is_at_most_its_rss():
    """Proportional set size counts shared pages in part, so it never exceeds the resident size."""
    assert 0 < pss_bytes(os.getpid()) <= rss_bytes(os.getpid())
