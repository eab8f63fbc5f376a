"""Pulse counter: edges on a MockFactory pin, rate, and the total kept across restarts."""

import json
import threading

import pytest

from agents.drivers.counter import Counter, Options, load_total, state_file
from agents.sim.hardware import SimulatedHardware
from agents.sim.pins import DebouncedPin


@pytest.fixture
def sim(tmp_path):
    with SimulatedHardware(tmp_path) as hardware:
        yield hardware


def pulses(pin, count):
    for _ in range(count):
        pin.drive_low()
        pin.drive_high()


def test_counts_falling_edges_by_default(sim):
    counter = Counter(Options(pin="GPIO22"), sim)
    pulses(sim.pin_factory.pin("GPIO22"), 7)
    readings = counter.read()
    assert readings["total"] == 7
    assert readings["rate"] > 0
    assert counter.read()["rate"] == 0  # nothing since the previous read
    counter.close()


@pytest.mark.parametrize(("edge", "expected"), [("rising", 5), ("falling", 5), ("both", 10)])
def test_edge_choice(sim, edge, expected):
    counter = Counter(Options(pin="GPIO22", edge=edge, pull_up=False), sim)
    pin = sim.pin_factory.pin("GPIO22")
    for _ in range(5):
        pin.drive_high()
        pin.drive_low()
    assert counter.read()["total"] == expected
    counter.close()


def test_total_survives_a_restart(sim, tmp_path):
    counter = Counter(Options(pin="GPIO22"), sim)
    pin = sim.pin_factory.pin("GPIO22")
    pulses(pin, 3)
    assert counter.read()["total"] == 3
    pulses(pin, 2)
    counter.close()  # saves what arrived after the last read too
    assert json.loads(state_file(sim.state_dir, "GPIO22").read_text()) == {"total": 5}
    again = Counter(Options(pin="GPIO22"), sim)
    pulses(pin, 1)
    assert again.read()["total"] == 6
    again.close()


def test_state_is_written_atomically_without_leftovers(sim):
    counter = Counter(Options(pin="GPIO22"), sim)
    pulses(sim.pin_factory.pin("GPIO22"), 4)
    counter.read()
    counter.close()
    assert sorted(path.name for path in sim.state_dir.glob("counter-*")) == ["counter-GPIO22.json"]


def test_damaged_state_file_is_kept_aside_and_counting_restarts(tmp_path):
    path = state_file(tmp_path, "GPIO22")
    path.write_text("{not json")
    assert load_total(path) == 0
    assert (tmp_path / "counter-GPIO22.json.damaged").read_text() == "{not json"
    assert not path.exists()


def test_debounce_counts_one_pulse_per_bouncy_contact_closure(sim):
    pin = sim.pin_factory.pin("GPIO22", pin_class=DebouncedPin)
    counter = Counter(Options(pin="GPIO22", bounce_time=0.02), sim)
    settled = threading.Event()
    for _ in range(3):  # three closures of a reed contact, each chattering before it settles
        pulses(pin, 4)
        pin.drive_low()
        settled.wait(0.06)
        pin.drive_high()
        settled.wait(0.06)
    assert counter.read()["total"] == 3
    counter.close()


def test_simulated_meter_pulses(sim):
    options = Options(pin="GPIO22")
    Counter.simulate(options, sim)
    counter = Counter(options, sim)
    for step in range(100):
        sim.tick(step * 0.5)
    assert counter.read()["total"] > 5
    counter.close()


def test_total_is_written_at_most_once_per_save_interval(sim):
    """Reads between saves do not touch the disk (SD card wear); the interval passing, or a stop, does."""
    path = state_file(sim.state_dir, "GPIO22")
    counter = Counter(Options(pin="GPIO22", save_interval=3600.0), sim)
    pin = sim.pin_factory.pin("GPIO22")
    pulses(pin, 2)
    assert counter.read()["total"] == 2
    assert not path.exists()
    counter.saved_at -= 3600.0  # the interval has passed
    pulses(pin, 1)
    counter.read()
    assert json.loads(path.read_text()) == {"total": 3}
    pulses(pin, 4)
    counter.read()
    assert json.loads(path.read_text()) == {"total": 3}
    counter.close()
    assert json.loads(path.read_text()) == {"total": 7}


def test_save_interval_zero_writes_at_every_read_that_changed_the_total(sim):
    path = state_file(sim.state_dir, "GPIO22")
    counter = Counter(Options(pin="GPIO22", save_interval=0.0), sim)
    pulses(sim.pin_factory.pin("GPIO22"), 2)
    counter.read()
    assert json.loads(path.read_text()) == {"total": 2}
    counter.close()
