"""make_hardware/close_hardware: where simulated hardware keeps its files, and that they go away."""

from __future__ import annotations

from agents.runtime.runtime import SIM_DIR_VARIABLE, close_hardware, make_hardware


def test_simulation_files_live_under_the_state_dir_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv(SIM_DIR_VARIABLE, raising=False)
    hardware = make_hardware(True, tmp_path)
    try:
        assert hardware.state_dir.parent == tmp_path
        assert hardware.root.is_relative_to(hardware.state_dir)
        assert hardware.w1_devices.is_relative_to(hardware.state_dir)
    finally:
        close_hardware(hardware, True)
    assert list(tmp_path.iterdir()) == []


def test_perch_sim_dir_takes_the_fake_kernel_files_but_not_driver_state(tmp_path, monkeypatch):
    state_dir, tmpfs = tmp_path / "state", tmp_path / "shm"
    state_dir.mkdir()
    tmpfs.mkdir()
    monkeypatch.setenv(SIM_DIR_VARIABLE, str(tmpfs))
    hardware = make_hardware(True, state_dir)
    try:
        assert hardware.state_dir.parent == state_dir  # a pulse counter's total still goes to disk
        assert hardware.sysfs_dir.parent == tmpfs
        assert hardware.root.is_dir() and hardware.root.is_relative_to(tmpfs)
        assert hardware.w1_devices.is_dir() and hardware.w1_devices.is_relative_to(tmpfs)
    finally:
        close_hardware(hardware, True)
    assert list(state_dir.iterdir()) == [] and list(tmpfs.iterdir()) == []
