"""The system driver against a fake /proc and /sys tree built by agents.sim.system."""

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from agents.drivers.base import ReadError
from agents.drivers.system import Options, System, decode_throttled, parse_meminfo, parse_throttled
from agents.sim.system import MEMINFO, SystemState, SystemTree


def hardware(root):
    return SimpleNamespace(root=root, w1_devices=root / "w1", state_dir=root)


@pytest.mark.parametrize(
    ("text", "word"),
    [("throttled=0x50005\n", 0x50005), ("50005\n", 0x50005), ("0\n", 0), ("throttled=0x0", 0)],
)
def test_throttled_word_from_vcgencmd_or_sysfs(text, word):
    assert parse_throttled(text) == word


def test_throttled_bits_decoded_per_raspberry_pi_documentation():
    # 0x50005: under-voltage now (bit 0), throttled now (bit 2), under-voltage and throttling since boot.
    flags = decode_throttled(0x50005)
    assert flags == {
        "under_voltage": True,
        "frequency_capped": False,
        "throttled": True,
        "soft_temperature_limit": False,
        "under_voltage_occurred": True,
        "frequency_capped_occurred": False,
        "throttled_occurred": True,
        "soft_temperature_limit_occurred": False,
    }
    assert decode_throttled(0x8)["soft_temperature_limit"] is True
    assert decode_throttled(0x2)["frequency_capped"] is True
    assert not any(decode_throttled(0).values())


def test_bad_throttled_text_is_a_read_error():
    with pytest.raises(ReadError, match="get_throttled"):
        parse_throttled("error=1 error_msg=...")


def test_meminfo_fields_in_kilobytes():
    assert parse_meminfo("MemTotal:  1000 kB\nMemAvailable:   250 kB\nHugePages_Total: 0\n") == {
        "MemTotal": 1000,
        "MemAvailable": 250,
        "HugePages_Total": 0,
    }


def test_readings_from_a_fake_tree(tmp_path):
    state = SystemState(
        cpu_celsius=51.234,
        load=(1.5, 0.75, 0.25),
        memory_total_kb=400_000,
        memory_available_kb=100_000,
        uptime_seconds=12_345.67,
        throttled=0x50005,
    )
    SystemTree(tmp_path, state)
    driver = System(Options(disk_path="/"), hardware(tmp_path))
    readings = driver.read()
    disk = os.statvfs(tmp_path)
    used = (disk.f_blocks - disk.f_bfree) * disk.f_frsize
    free = disk.f_bavail * disk.f_frsize
    assert readings["cpu_temperature"] == 51.234
    assert (readings["load_1m"], readings["load_5m"], readings["load_15m"]) == (1.5, 0.75, 0.25)
    assert readings["memory_used"] == 75.0
    assert readings["memory_available"] == pytest.approx(100_000 / 1024)
    assert readings["uptime"] == 12_345.67
    assert readings["disk_used"] == pytest.approx(100 * used / (used + free))
    assert readings["disk_free"] == pytest.approx(free / 1e9)
    assert readings["under_voltage"] == "ON"
    assert readings["throttled"] == "ON"
    assert readings["under_voltage_occurred"] == "ON"
    assert readings["frequency_capped"] == "OFF"
    assert readings["soft_temperature_limit"] == "OFF"
    names = {quantity.name for quantity in driver.quantities()}
    assert names == set(readings)


def test_quantities_carry_units_and_home_assistant_classes(tmp_path):
    SystemTree(tmp_path)
    quantities = {quantity.name: quantity for quantity in System(Options(), hardware(tmp_path)).quantities()}
    assert quantities["cpu_temperature"].unit == "°C"
    assert quantities["cpu_temperature"].device_class == "temperature"
    assert quantities["uptime"].state_class == "total_increasing"
    assert quantities["under_voltage"].component == "binary_sensor"
    assert quantities["under_voltage"].device_class == "problem"


def test_missing_thermal_zone_and_firmware_drop_those_quantities(tmp_path):
    SystemTree(tmp_path)
    (tmp_path / "sys/class/thermal/thermal_zone0/temp").unlink()
    (tmp_path / "sys/devices/platform/soc/soc:firmware/get_throttled").unlink()
    driver = System(Options(), hardware(tmp_path))
    readings = driver.read()
    assert "cpu_temperature" not in readings
    assert "under_voltage" not in readings
    assert readings["load_1m"] == 0.42


def test_unreadable_proc_file_is_a_read_error(tmp_path):
    SystemTree(tmp_path)
    driver = System(Options(), hardware(tmp_path))
    (tmp_path / MEMINFO).write_text("MemTotal: 1000 kB\n")
    with pytest.raises(ReadError, match="MemAvailable"):
        driver.read()
    (tmp_path / MEMINFO).unlink()
    with pytest.raises(ReadError, match="meminfo"):
        driver.read()


def test_disk_path_that_does_not_exist_is_a_read_error(tmp_path):
    SystemTree(tmp_path)
    driver = System(Options(disk_path="/mnt/usb"), hardware(tmp_path))
    with pytest.raises(ReadError, match="/mnt/usb"):
        driver.read()


def test_drift_keeps_values_plausible_and_uptime_rising(tmp_path):
    tree = SystemTree(tmp_path)
    driver = System(Options(), hardware(tmp_path))
    first = driver.read()
    for step in range(1, 60):
        tree.drift(float(step))
    last = driver.read()
    assert 41.0 <= last["cpu_temperature"] <= 62.0
    assert 0 < last["memory_used"] < 100
    assert last["uptime"] == pytest.approx(first["uptime"] + 58, abs=0.01)


def test_simulation_builds_the_tree_and_drifts_it(tmp_path):
    from agents.sim.hardware import SimulatedHardware

    with SimulatedHardware(tmp_path) as sim:
        System.simulate(Options(), sim)
        System.simulate(Options(), sim)  # a reopen replaces the drift callback instead of adding one
        assert len(sim._background) == 1
        driver = System(Options(), sim)
        first = driver.read()
        assert first["under_voltage"] == "OFF"
        sim.tick(100.0)
        sim.tick(160.0)
        assert driver.read()["uptime"] == pytest.approx(first["uptime"] + 60, abs=0.01)


FIRMWARE_SYSFS = Path("/sys/devices/platform/soc/soc:firmware/get_throttled")


@pytest.mark.skipif(FIRMWARE_SYSFS.exists(), reason="on a Pi the firmware's sysfs file takes precedence")
def test_vcgencmd_is_used_on_the_real_root_when_sysfs_lacks_the_flags(tmp_path, monkeypatch):
    fake = tmp_path / "bin" / "vcgencmd"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\n[ "$1" = get_throttled ] && echo "throttled=0x50000"\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")
    driver = System(Options(), SimpleNamespace(root=Path("/")))
    readings = driver.read()  # real /proc of this machine, throttling from the fake vcgencmd
    assert readings["under_voltage_occurred"] == "ON"
    assert readings["throttled"] == "OFF"
    assert readings["uptime"] > 0
