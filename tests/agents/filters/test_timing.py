import pytest

from agents.filters.timing import Delta, Heartbeat, Throttle


def test_throttle_passes_one_value_per_period():
    step = Throttle(10.0)
    times_and_values = [(0, 1), (3, 2), (9.9, 3), (10, 4), (15, 5), (21, 6)]
    assert [step.process(v, t) for t, v in times_and_values] == [1, None, None, 4, None, 6]


def test_heartbeat_sends_latest_once_per_period_from_ticks():
    step = Heartbeat(30.0)
    assert step.process(21.0, 0) is None
    assert step.tick(10) is None
    assert step.process(22.0, 20) is None
    assert step.tick(30) == 22.0
    assert step.tick(45) is None
    assert step.tick(60) == 22.0


def test_heartbeat_optimistic_passes_values_too():
    step = Heartbeat(30.0, optimistic=True)
    assert step.process("ON", 0) == "ON"
    assert step.tick(31) == "ON"


def test_delta_absolute():
    step = Delta(0.5)
    assert [step.process(v, 0) for v in [20.0, 20.2, 20.5, 20.6, 19.9]] == [20.0, None, 20.5, None, 19.9]


def test_delta_relative_percent():
    step = Delta("10%")
    assert [step.process(v, 0) for v in [100, 109, 110, 120, 99]] == [100, None, 110, None, 99]


def test_delta_on_words_passes_changes_only():
    step = Delta(0)
    assert [step.process(v, 0) for v in ["OFF", "OFF", "ON", "ON", "OFF"]] == ["OFF", None, "ON", None, "OFF"]


def test_delta_rejects_nonsense():
    with pytest.raises(ValueError, match="change"):
        Delta("lots")
