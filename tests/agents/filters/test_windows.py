import pytest

from agents.filters.windows import ExponentialMovingAverage, Median, SlidingWindowMovingAverage


def run(step, values):
    return [step.process(value, float(index)) for index, value in enumerate(values)]


def test_median_defaults_send_first_value_then_every_fifth():
    step = Median()  # window 5, send_every 5, send_first_at 1 (ESPHome defaults)
    out = run(step, [10, 50, 20, 40, 30, 99, 1])
    # First value at once (window [10]); the next result after five more values: [50,20,40,30,99] -> 40.
    assert out == [10, None, None, None, None, 40, None]


def test_median_of_even_window_averages_the_middle_pair():
    assert run(Median(window_size=4, send_every=1), [1, 3, 2, 10]) == [1, 2, 2, 2.5]


def test_sliding_window_average_every_value():
    step = SlidingWindowMovingAverage(window_size=3, send_every=1)
    assert run(step, [3, 6, 9, 12]) == [3, 4.5, 6, 9]


def test_sliding_window_send_every_and_first_at():
    step = SlidingWindowMovingAverage(window_size=2, send_every=3, send_first_at=2)
    assert run(step, [1, 3, 5, 7, 9, 11]) == [None, 2, None, None, 8, None]


def test_exponential_moving_average():
    step = ExponentialMovingAverage(alpha=0.5, send_every=1)
    out = run(step, [10, 20, 20, 0])
    assert out == [10, 15, 17.5, 8.75]


def test_exponential_moving_average_sends_every_nth():
    step = ExponentialMovingAverage(alpha=0.1, send_every=3)
    out = run(step, [100, 0, 0, 0])
    assert out[0] == 100 and out[1:3] == [None, None]
    assert out[3] == pytest.approx(100 * 0.9**3)


def test_send_first_at_cannot_exceed_send_every():
    with pytest.raises(ValueError, match="send_first_at"):
        Median(send_every=2, send_first_at=3)
