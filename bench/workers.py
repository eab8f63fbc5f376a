"""Run load-generator roles in separate processes that start together.

Each role is a function ``role(ready, start, *args) -> dict``: it connects and subscribes, calls
``ready()``, then ``start()`` (which blocks until every role is ready and returns the shared start time
on the monotonic clock), does its work and returns its counts. The harness adds the CPU seconds the
role used after start, so the report can show that the load generator was not the bottleneck.
"""

from __future__ import annotations

import multiprocessing
import queue
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.client import cpu_seconds

CONTEXT = multiprocessing.get_context("fork")
SETUP_TIMEOUT = 120.0


@dataclass
class Role:
    function: Callable[..., dict[str, Any]]
    args: tuple = ()


class WorkerError(RuntimeError):
    """A load-generator process failed; carries its traceback."""


def _child(role: Role, index: int, results: Any, start_event: Any, start_time: Any) -> None:
    cpu_at_start = [0.0]

    def ready() -> None:
        results.put(("ready", index, None))

    def start() -> float:
        if not start_event.wait(SETUP_TIMEOUT):
            raise TimeoutError("start signal never came")
        cpu_at_start[0] = cpu_seconds()
        return start_time.value

    try:
        outcome = role.function(ready, start, *role.args)
        outcome["cpu_seconds"] = cpu_seconds() - cpu_at_start[0]
        results.put(("done", index, outcome))
    except BaseException:
        results.put(("error", index, traceback.format_exc()))


def run_roles(
    roles: list[Role], timeout: float, before_start: Callable[[], None] | None = None
) -> list[dict[str, Any]]:
    """Start every role in its own process, release them together once all are ready, collect results.

    before_start, if given, runs once every role is ready and before they are released (a measurement
    of the broker while every client is connected and idle)."""
    results = CONTEXT.Queue()
    start_event = CONTEXT.Event()
    start_time = CONTEXT.Value("d", 0.0)
    processes = [
        CONTEXT.Process(target=_child, args=(role, index, results, start_event, start_time), daemon=True)
        for index, role in enumerate(roles)
    ]
    for process in processes:
        process.start()
    try:
        _wait_for(results, "ready", len(roles), time.monotonic() + SETUP_TIMEOUT)
        if before_start is not None:
            before_start()
        start_time.value = time.monotonic()
        start_event.set()
        done = _wait_for(results, "done", len(roles), time.monotonic() + timeout)
        return [done[index] for index in range(len(roles))]
    finally:
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join(timeout=5)


def _wait_for(results: Any, kind: str, count: int, deadline: float) -> dict[int, Any]:
    seen: dict[int, Any] = {}
    while len(seen) < count:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise WorkerError(f"only {len(seen)} of {count} load-generator processes reported {kind!r}")
        try:
            message_kind, index, payload = results.get(timeout=remaining)
        except queue.Empty:
            continue
        if message_kind == "error":
            raise WorkerError(f"load-generator process {index} failed:\n{payload}")
        if message_kind == kind:
            seen[index] = payload
    return seen
