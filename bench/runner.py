"""Run every scenario against every broker, round by round, each broker started fresh per scenario."""

from __future__ import annotations

import contextlib
import resource
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field

from bench import brokers
from bench.client import process_cpu_seconds
from bench.scenarios import SCENARIOS, Scenario, Sizes


@dataclass
class Results:
    """Every value measured: samples[broker][metric key] holds one value per round."""

    brokers: list[str]
    sizes: Sizes
    rounds: int
    samples: dict[str, dict[str, list[float]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    failures: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    started: float = field(default_factory=time.time)
    seconds: float = 0.0


def raise_open_file_limit() -> None:
    """Idle-connection scenarios hold thousands of sockets, in the load generator and in the brokers."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def run_once(
    broker_name: str, scenario: Scenario, sizes: Sizes, shared: brokers.Broker | None = None
) -> dict[str, float]:
    """One scenario on a freshly started broker (or on `shared`, already running); adds the broker's
    own CPU use (share of one core)."""
    context = contextlib.nullcontext(shared) if shared else brokers.running(broker_name)
    with context as broker:
        cpu_before, wall_before = process_cpu_seconds(broker.pid), time.monotonic()
        values = dict(scenario.run(broker, sizes))
        elapsed = time.monotonic() - wall_before
        values["broker_cpu"] = (process_cpu_seconds(broker.pid) - cpu_before) / elapsed
    if "lost" not in values and "received" in values:
        values["lost"] = values["expected"] - values["received"]
    return values


def run(
    broker_names: list[str],
    sizes: Sizes,
    rounds: int,
    only: set[str] | None = None,
    log=print,
    fresh: bool = True,
) -> Results:
    """Alternate the brokers within each scenario and rotate their order every round. fresh=False runs
    every scenario of a round on one broker process per broker (the smoke test's quick mode)."""
    raise_open_file_limit()
    results = Results(list(broker_names), sizes, rounds)
    began = time.monotonic()
    for round_number in range(rounds):
        shift = round_number % len(broker_names)
        order = broker_names[shift:] + broker_names[:shift]
        with contextlib.ExitStack() as stack:
            shared = {} if fresh else {name: stack.enter_context(brokers.running(name)) for name in order}
            for scenario in SCENARIOS:
                if only and scenario.name not in only:
                    continue
                for name in order:
                    if scenario.name not in results.failures[name]:
                        _run_and_record(results, name, scenario, round_number, log, shared.get(name))
    results.seconds = time.monotonic() - began
    return results


def _run_and_record(
    results: Results, name: str, scenario: Scenario, round_number: int, log, shared: brokers.Broker | None
) -> None:
    try:
        values = run_once(name, scenario, results.sizes, shared)
    except brokers.BrokerUnavailable as error:
        for other in SCENARIOS:
            results.failures[name][other.name] = str(error)
        log(f"round {round_number + 1}: {name} unavailable: {error}", file=sys.stderr)
        return
    except Exception as error:  # a broker that cannot do a scenario (amqtt and MQTT 5) is a result
        reason = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
        results.failures[name][scenario.name] = reason
        log(f"round {round_number + 1}: {name} {scenario.name} failed: {reason}", file=sys.stderr)
        return
    for field_name, key in scenario.metrics.items():
        if field_name in values:
            results.samples[name][key].append(values[field_name])
    summary = ", ".join(f"{k}={v:.4g}" for k, v in values.items())
    log(f"round {round_number + 1}: {name} {scenario.name}: {summary}", file=sys.stderr)
