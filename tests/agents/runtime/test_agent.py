from agents.runtime.agent import RETRY_CAP, retry_delay, rounded


def test_retry_delay_doubles_from_one_second_up_to_the_cap():
    assert [retry_delay(30.0, failures) for failures in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert RETRY_CAP == 60


def test_retry_delay_of_fast_agents_starts_at_their_interval():
    assert [retry_delay(0.25, failures) for failures in (1, 2, 3)] == [0.25, 0.5, 1.0]


def test_slow_agents_never_retry_less_often_than_their_interval():
    assert retry_delay(300.0, 20) == 300.0


def test_default_precision_rounds_floats_only():
    assert rounded(21.456, 1) == 21.5
    assert rounded(21.456, None) == 21.456
    assert rounded(True, 1) is True
    assert rounded(7, 2) == 7
