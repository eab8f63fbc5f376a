from dataclasses import dataclass

import pytest

from agents.config.loader import load_config
from agents.drivers.base import Driver, Quantity, Readings
from agents.drivers.options import option
from agents.runtime.agent import RETRY_CAP, AgentRunner, retry_delay, rounded, until_next_slot


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


@pytest.mark.parametrize(
    ("now", "period", "wait"),
    [(10.3, 1.0, 0.7), (10.6, 1.0, 1.4), (10.0, 1.0, 1.0), (125.0, 60.0, 55.0), (61.0, 60.0, 59.0)],
)
def test_agents_wait_for_the_next_multiple_of_their_interval_at_least_half_an_interval_away(
    now, period, wait
):
    assert until_next_slot(now, period) == pytest.approx(wait)


def test_agents_with_the_same_interval_meet_on_the_same_instants():
    period = 2.5
    for now in (0.1, 7.3, 1234.56, 99999.99):
        wait = until_next_slot(now, period)
        assert period / 2 <= wait < 1.5 * period
        assert (now + wait) / period == pytest.approx(round((now + wait) / period))


def test_a_zero_period_does_not_wait():
    assert until_next_slot(5.0, 0.0) == 0.0


@dataclass
class PreciseOptions:
    value: float = option(21.456, help="what every read returns")


class Precise(Driver):
    """Two quantities with a default precision of one decimal."""

    type_name = "test_precise"
    summary = "test precision"
    Options = PreciseOptions

    def quantities(self) -> list[Quantity]:
        return [Quantity("plain", precision=1), Quantity("chained", precision=1)]

    def read(self) -> Readings:
        return {"plain": self.options.value, "chained": self.options.value, "extra": self.options.value}


class RecordingOutlet:
    """The parts of Outlet an AgentRunner calls; keeps the readings it is given."""

    def __init__(self) -> None:
        self.published: list[dict[str, object]] = []

    def describe(self, *args: object) -> None: ...

    def status(self, *args: object) -> None: ...

    def readings(self, agent: str, readings: dict[str, object]) -> None:
        if readings:
            self.published.append(readings)


def test_default_precision_applies_unless_the_chain_rounds_itself(tmp_path):
    config = tmp_path / "perch.yaml"
    config.write_text(
        "node: t\nagents:\n"
        '  - name: p\n    module: "tests.agents.runtime.test_agent:Precise"\n'
        "    filters: {chained: [{round: 2}]}\n"
    )
    outlet = RecordingOutlet()
    runner = AgentRunner(load_config(config).agents[0], hardware=None, outlet=outlet)  # type: ignore[arg-type]
    assert runner._open()
    runner.poll()
    assert outlet.published == [{"plain": 21.5, "chained": 21.46, "extra": 21.456}]
