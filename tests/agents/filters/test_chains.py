"""Parsing filter chains from YAML and running them (agents/filters/__init__.py)."""

from agents.config.schema import Schema
from agents.config.yamlfile import parse_yaml
from agents.filters import FILTERS, Pipeline, parse_filters
from agents.filters.timing import Heartbeat
from agents.filters.values import Multiply, Offset, Round

ESPHOME_NAMES = {
    "offset", "multiply", "calibrate_linear", "clamp", "filter_out", "round", "median",
    "sliding_window_moving_average", "exponential_moving_average", "throttle", "heartbeat", "delta",
}  # fmt: skip


def parse(text: str):
    document = parse_yaml(text, "f.yaml")
    schema = Schema(document)
    return parse_filters(schema, document.data["filters"], ("filters",)), schema


def test_every_esphome_filter_is_there():
    assert set(FILTERS) == ESPHOME_NAMES


def test_shorthand_and_full_forms():
    chains, schema = parse(
        "filters: [{offset: -0.4}, {clamp: {min_value: 0}}, {throttle: 1min}, {delta: 5%}]"
    )
    assert schema.issues == []
    offset, clamp, throttle, delta = chains[None]
    assert (offset.value, clamp.min_value, throttle.period, delta.change) == (-0.4, 0.0, 60.0, "5%")


def test_per_quantity_chains():
    chains, _ = parse("filters: {temperature: [{round: 1}], humidity: [{multiply: 100}]}")
    assert set(chains) == {"temperature", "humidity"}
    assert isinstance(chains["humidity"][0], Multiply)


def test_errors_point_at_the_filter():
    _, schema = parse(
        "filters:\n  - {offset: warm}\n  - {round: -1}\n  - rounded\n  - {median: {window: 3}}\n"
    )
    assert [str(issue) for issue in schema.issues] == [
        "f.yaml:2:14: filters[0].offset.value: expected a number, got warm",
        "f.yaml:3:13: filters[1].round.decimals: expected a value at least 0 and at most 10, got -1",
        "f.yaml:4:5: filters[2]: expected one filter such as {offset: 1.5} or {round: 1}",
        "f.yaml:5:15: filters[3].median.window: unknown option 'window' (did you mean 'window_size'?)",
    ]


def test_pipeline_runs_in_order_and_stops_on_drop():
    pipeline = Pipeline([Offset(1.0), Multiply(10.0), Round(0)])
    assert pipeline.process(2.06, 0) == 31
    assert Pipeline([Multiply(10.0), Offset(1.0)]).process(2.0, 0) == 21.0


def test_pipelines_have_their_own_state():
    chain = [Heartbeat(10.0)]
    first, second = Pipeline(chain), Pipeline(chain)
    first.process(5.0, 0)
    assert first.tick(10) == [5.0]
    assert second.tick(10) == []


def test_tick_output_goes_through_later_steps():
    pipeline = Pipeline([Heartbeat(10.0), Offset(100.0)])
    assert pipeline.process(1.0, 0) is None
    assert pipeline.tick(10) == [101.0]
