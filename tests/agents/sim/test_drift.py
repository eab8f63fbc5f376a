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
