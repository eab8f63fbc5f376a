"""Drift: a seeded, bounded, mean-reverting random walk; animate wires drifts to attributes."""

from types import SimpleNamespace

import pytest

from agents.sim.drift import Drift, animate


def walk(drift, steps, dt=10.0):
    return [drift.advance(1000.0 + step * dt) for step in range(steps)]


def test_stays_within_the_spread_and_moves():
    values = walk(Drift(20.0, 2.0, rate=1.0, seed="x"), 500)
    assert all(18.0 <= value <= 22.0 for value in values)
    assert max(values) - min(values) > 0.5


def test_same_seed_same_walk_other_seed_other_walk():
    assert walk(Drift(5.0, 1.0, seed=1), 50) == walk(Drift(5.0, 1.0, seed=1), 50)
    assert walk(Drift(5.0, 1.0, seed=1), 50) != walk(Drift(5.0, 1.0, seed=2), 50)


def test_first_call_and_zero_spread_stay_at_the_setpoint():
    assert Drift(7.0, 3.0).advance(1.0) == 7.0
    assert walk(Drift(7.0, 0.0), 20) == [7.0] * 20


def test_negative_spread_is_refused():
    with pytest.raises(ValueError):
        Drift(1.0, -1.0)


def test_animate_sets_attributes_now_and_on_every_tick():
    registered = []
    simulation = SimpleNamespace(add_background=registered.append)
    target = SimpleNamespace()
    step = animate(simulation, target, temperature=Drift(21.0, 3.0, rate=1.0, seed="t"))
    assert registered == [step] and target.temperature == 21.0
    for now in range(0, 600, 30):
        step(float(now))
    assert target.temperature != 21.0 and 18.0 <= target.temperature <= 24.0


def test_a_replaced_chip_stops_drifting_and_its_function_unregisters(tmp_path):
    from agents.sim.chips.lm75 import Lm75Chip
    from agents.sim.hardware import SimulatedHardware

    with SimulatedHardware(tmp_path) as sim:
        old = sim.i2c_bus(1).attach(0x48, Lm75Chip())
        step = animate(sim, old, temperature=Drift(20.0, 5.0, rate=1.0, seed="old"))
        new = sim.i2c_bus(1).attach(0x48, Lm75Chip())  # e.g. the agent was reloaded
        assert not old.is_attached and new.is_attached
        sim.tick(1.0)
        assert step not in sim.background
        before = old.temperature
        sim.tick(100.0)
        assert old.temperature == before
