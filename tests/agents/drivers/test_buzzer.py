"""Buzzer: ON/OFF like a relay, BEEP as a bounded train of beeps ending OFF."""

import threading

import pytest

from agents.drivers.buzzer import Buzzer, BuzzerOptions
from agents.sim.hardware import SimulatedHardware


@pytest.fixture
def sim(tmp_path):
    with SimulatedHardware(tmp_path) as hardware:
        yield hardware


def test_on_off(sim):
    buzzer = Buzzer(BuzzerOptions(pin="GPIO26"), sim)
    pin = sim.pin_factory.pin("GPIO26")
    assert buzzer.command("ON") == {"state": "ON"}
    assert pin.state == 1
    assert buzzer.command("off") == {"state": "OFF"}
    assert pin.state == 0
    buzzer.close()


def test_beep_sounds_n_times_then_reports_off(sim):
    buzzer = Buzzer(BuzzerOptions(pin="GPIO26", beep_on=0.01, beep_off=0.01, beeps=3), sim)
    pin = sim.pin_factory.pin("GPIO26")
    done = threading.Event()
    emitted = []
    buzzer.watch(lambda readings: (emitted.append(readings), done.set()))
    assert buzzer.command("BEEP") == {"state": "ON"}
    assert done.wait(2.0)
    assert emitted == [{"state": "OFF"}]
    assert pin.state == 0
    rises = sum(
        1 for before, after in zip(pin.states, pin.states[1:], strict=False) if after.state > before.state
    )
    assert rises == 3
    buzzer.close()


def test_off_stops_a_beep_train(sim):
    buzzer = Buzzer(BuzzerOptions(pin="GPIO26", beep_on=0.05, beep_off=0.05, beeps=50), sim)
    emitted = []
    buzzer.watch(emitted.append)
    buzzer.command("BEEP")
    assert buzzer.command("OFF") == {"state": "OFF"}
    threading.Event().wait(0.2)
    assert sim.pin_factory.pin("GPIO26").state == 0
    assert emitted == []
    buzzer.close()
