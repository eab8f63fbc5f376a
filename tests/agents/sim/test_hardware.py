"""SimulatedHardware: the shape drivers rely on, and a background clock that stops on close."""

import threading

from gpiozero import PWMLED

from agents.sim.hardware import SimulatedHardware


def test_shape_and_trees(tmp_path):
    with SimulatedHardware(tmp_path) as sim:
        assert sim.state_dir == tmp_path
        assert sim.w1_devices.is_dir() and sim.root.is_dir()
        assert sim.w1_devices.is_relative_to(tmp_path) and sim.root.is_relative_to(tmp_path)
        assert sim.i2c_bus(1) is sim.i2c_bus(1) and sim.i2c_bus(0) is not sim.i2c_bus(1)
        assert sim.i2c_bus(3).number == 3
        assert sim.spi_device(0, 1) == {"port": 0, "device": 1, "pin_factory": sim.pin_factory}


def test_fake_kernel_files_may_live_apart_from_driver_state(tmp_path):
    state, sysfs = tmp_path / "state", tmp_path / "tmpfs"
    with SimulatedHardware(state, sysfs) as sim:
        assert sim.state_dir == state and sim.sysfs_dir == sysfs
        assert sim.w1_devices.is_dir() and sim.w1_devices.is_relative_to(sysfs)
        assert sim.root.is_dir() and sim.root.is_relative_to(sysfs)
        assert not (state / "sim").exists()


def test_pin_factory_makes_pwm_capable_mock_pins(tmp_path):
    with SimulatedHardware(tmp_path) as sim:
        led = PWMLED("GPIO18", pin_factory=sim.pin_factory)
        led.value = 0.25
        assert sim.pin_factory.pin("GPIO18").state == 0.25
        led.close()


def test_background_functions_run_until_close(tmp_path):
    sim = SimulatedHardware(tmp_path)
    called = threading.Event()
    times = []

    def record(now):
        times.append(now)
        called.set()

    sim.add_background(record)
    assert called.wait(timeout=5)
    sim.close()
    count = len(times)
    assert not any(thread.name == "perch-sim" and thread.is_alive() for thread in threading.enumerate())
    assert len(times) == count


def test_tick_runs_each_function_and_survives_a_failing_one(tmp_path):
    with SimulatedHardware(tmp_path) as sim:
        seen = []

        def broken(now):
            raise RuntimeError("boom")

        sim.add_background(broken)
        sim.add_background(seen.append)
        sim.tick(12.5)
        sim.remove_background(seen.append)
        sim.tick(13.0)
        assert seen == [12.5]
