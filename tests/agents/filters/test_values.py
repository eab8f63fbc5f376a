import pytest

from agents.filters.values import CalibrateLinear, Clamp, FilterOut, Multiply, Offset, Round, parse_datapoint


def run(step, values):
    return [step.process(value, float(index)) for index, value in enumerate(values)]


def test_offset_and_multiply():
    assert run(Offset(-0.5), [20.0, 1]) == [19.5, 0.5]
    assert run(Multiply(1.8), [10, -5]) == [18.0, -9.0]


def test_numeric_filters_pass_words_unchanged():
    assert run(Offset(1), ["ON", True]) == ["ON", True]


def test_calibrate_linear_least_squares():
    # Points (0,0) (10,12) (20,22): mean x 10, mean y 34/3; slope = (0*-34/3*-10 + 0 + 10*32/3)/200 = 1.1
    step = CalibrateLinear(["0.0 -> 0.0", [10, 12], {"from": 20, "to": 22}])
    slope_intercept = step.line
    assert slope_intercept[0] == pytest.approx(1.1)
    assert slope_intercept[1] == pytest.approx(34 / 3 - 11)
    assert step.process(5.0, 0) == pytest.approx(1.1 * 5 + 34 / 3 - 11)


def test_calibrate_linear_exact_interpolates_and_extrapolates():
    step = CalibrateLinear(["0 -> 0", "10 -> 20", "20 -> 25"], method="exact")
    assert run(step, [5, 10, 15, 30, -2]) == [10.0, 20.0, 22.5, 30.0, -4.0]


def test_calibrate_linear_rejects_bad_datapoints():
    with pytest.raises(ValueError, match="datapoint"):
        parse_datapoint("ten -> 3")
    with pytest.raises(ValueError, match="at least two"):
        CalibrateLinear(["1 -> 2"])
    with pytest.raises(ValueError, match="two different"):
        CalibrateLinear(["1 -> 2", "1 -> 3"])


def test_clamp_limits_or_drops():
    assert run(Clamp(0, 100), [-5, 50, 150]) == [0, 50, 100]
    assert run(Clamp(0, 100, ignore_out_of_range=True), [-5, 50, 150]) == [None, 50, None]
    assert run(Clamp(max_value=10), [-1000, 11]) == [-1000, 10]


def test_filter_out_one_or_many_values():
    assert run(FilterOut(85.0), [85.0, 21.5]) == [None, 21.5]
    assert run(FilterOut([0, "unknown"]), [0, "unknown", 3]) == [None, None, 3]


def test_round_half_away_from_zero():
    assert run(Round(1), [21.25, 21.35, -0.05, 2.675]) == [21.3, 21.4, -0.1, 2.7]
    assert run(Round(0), [2.5, 3.49]) == [3, 3]
    assert run(Round(2), [1013.256]) == [1013.26]
