"""HC-SR04 driver: gpiozero DistanceSensor against an emulated echo (agents.sim.pins)."""

import math
import threading

import pytest

from agents.drivers.base import ReadError
from agents.drivers.distance import Distance, Options
from agents.sim.hardware import SimulatedHardware
from agents.sim.pins import distance_pins


@pytest.fixture
def sim(tmp_path):
    with SimulatedHardware(tmp_path) as hardware:
        yield hardware


def test_echo_width_converts_to_centimetres(sim):
    # The emulated echo lasts 2 * 0.8 m / 343.26 m/s = 4.66 ms, with exact (synthetic) edge times.
    sensor = distance_pins(sim.pin_factory, echo="GPIO24", trigger="GPIO23")
    sensor.distance = 0.8
    distance = Distance(Options(trigger="GPIO23", echo="GPIO24", queue_len=1), sim)
    assert distance.read()["distance"] == pytest.approx(80.0, abs=0.01)
    assert distance.quantities()[0].unit == "cm"
    distance.close()


def test_distance_beyond_max_is_reported_as_max(sim):
    sensor = distance_pins(sim.pin_factory, echo="GPIO24", trigger="GPIO23")
    sensor.distance = 3.5
    distance = Distance(Options(trigger="GPIO23", echo="GPIO24", max_distance=150, queue_len=1), sim)
    assert distance.read()["distance"] == pytest.approx(150.0)
    distance.close()


@pytest.mark.filterwarnings("ignore::gpiozero.exc.DistanceSensorNoEcho")
def test_no_echo_is_a_read_error(sim):
    sensor = distance_pins(sim.pin_factory, echo="GPIO24", trigger="GPIO23")
    sensor.distance = None
    options = Options(trigger="GPIO23", echo="GPIO24", first_echo_timeout=0.3)
    distance = Distance(options, sim)
    with pytest.raises(ReadError, match="no echo"):
        distance.read()
    distance.close()


def test_simulated_object_moves(sim):
    options = Options(trigger="GPIO23", echo="GPIO24", queue_len=1)
    Distance.simulate(options, sim)
    sensor = sim.pin_factory.pin("GPIO23")
    sim.tick(0.0)
    first = sensor.distance
    sim.tick(30.0)
    assert sensor.distance != first
    assert 0 < 100 * sensor.distance < options.max_distance
    distance = Distance(options, sim)
    reading = distance.read()["distance"]
    assert math.isclose(reading, 100 * sensor.distance, abs_tol=0.01)
    distance.close()


@pytest.mark.filterwarnings("ignore::gpiozero.exc.DistanceSensorNoEcho")
def test_echoes_that_stop_make_reads_fail_instead_of_repeating_the_last_distance(sim):
    sensor = distance_pins(sim.pin_factory, echo="GPIO24", trigger="GPIO23")
    sensor.distance = 0.5
    options = Options(trigger="GPIO23", echo="GPIO24", queue_len=1, first_echo_timeout=0.3)
    distance = Distance(options, sim)
    distance.echo_stale_after = 0.15
    assert distance.read()["distance"] == pytest.approx(50.0, abs=0.01)
    sensor.distance = None  # a loose wire: triggers go unanswered
    threading.Event().wait(0.4)  # longer than echo_stale_after + one unanswered trigger (0.1 s)
    with pytest.raises(ReadError, match="no echo"):
        distance.read()
    sensor.distance = 0.7
    threading.Event().wait(0.2)  # a few samples (every 0.06 s) so the queue holds the new echo
    assert distance.read()["distance"] == pytest.approx(70.0, abs=0.01)
    distance.close()
