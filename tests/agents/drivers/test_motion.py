"""PIR motion driver on MockFactory pins."""

import threading

import pytest

from agents.drivers.motion import Motion, Options
from agents.sim.hardware import SimulatedHardware


@pytest.fixture
def sim(tmp_path):
    with SimulatedHardware(tmp_path) as hardware:
        yield hardware


def wait_until(condition, timeout=2.0):
    done = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if condition():
            return True
        done.wait(0.01)
    return condition()


def test_motion_follows_the_pir_output_and_emits_changes(sim):
    motion = Motion(Options(pin="GPIO4"), sim)
    (quantity,) = motion.quantities()
    assert (quantity.name, quantity.component, quantity.device_class) == ("motion", "binary_sensor", "motion")
    events = []
    motion.watch(events.append)
    pin = sim.pin_factory.pin("GPIO4")
    assert pin.pull == "down"
    assert motion.read() == {"motion": "OFF"}
    pin.drive_high()
    assert wait_until(lambda: {"motion": "ON"} in events), events
    assert motion.read() == {"motion": "ON"}
    pin.drive_low()
    assert wait_until(lambda: events[-1:] == [{"motion": "OFF"}]), events
    motion.close()


def test_simulated_pir_triggers_and_clears(sim):
    options = Options(pin="GPIO4")
    Motion.simulate(options, sim)
    motion = Motion(options, sim)
    pin = sim.pin_factory.pin("GPIO4")
    levels = set()
    for step in range(400):
        sim.tick(step * 0.5)
        levels.add(bool(pin.state))
    assert levels == {True, False}
    motion.close()
