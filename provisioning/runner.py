"""Run one plan on several hosts at once (a thread per host), and report per host.

Each host gets its own connection, its own result or one-line error, and the run's exit code is the worst
of them: 2 when a host's input was bad (its config would not validate there), else 1 when any host failed,
else 0.
"""

from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TextIO

from provisioning.connection import SshOptions, Target, open_connection
from provisioning.errors import BadInputError, explain
from provisioning.plans import Plan
from provisioning.remote import check_sudo
from provisioning.results import TaskResult

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2
MAX_PARALLEL_HOSTS = 16


@dataclass
class HostOutcome:
    target: Target
    result: TaskResult | None = None
    error: str | None = None
    exit_code: int = EXIT_OK


def run_on_host(target: Target, options: SshOptions, plan: Plan) -> HostOutcome:
    """Connect, check that sudo works, run the plan; never raises."""
    connection = open_connection(target, options)
    try:
        connection.open()
        check_sudo(connection)
        return HostOutcome(target, plan.run(connection))
    except BadInputError as error:
        return HostOutcome(target, error=str(error), exit_code=EXIT_BAD_INPUT)
    except Exception as error:  # one host's failure must not stop the others
        return HostOutcome(target, error=str(explain(error)), exit_code=EXIT_FAILURE)
    finally:
        connection.close()


def report(outcome: HostOutcome, out: TextIO, err: TextIO) -> None:
    host = str(outcome.target)
    if outcome.error is not None:
        lines = outcome.error.splitlines()
        err.write(f"{host}: error: {lines[0]}\n" + "".join(f"{host}:   {line}\n" for line in lines[1:]))
        return
    result = outcome.result or TaskResult()
    for line in result.output.splitlines():
        out.write(f"{host}: {line}\n")
    for note in result.notes:
        out.write(f"{host}: note: {note}\n")
    out.write(f"{host}: ok, {result.summary()}\n")


def run_everywhere(
    targets: list[Target],
    options: SshOptions,
    plan: Plan,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run ``plan`` on every target in parallel; print each host's report as it finishes."""
    out, err = out or sys.stdout, err or sys.stderr
    lock = threading.Lock()

    def run_and_report(target: Target) -> HostOutcome:
        outcome = run_on_host(target, options, plan)
        with lock:
            report(outcome, out, err)
            out.flush()
        return outcome

    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_HOSTS, len(targets))) as pool:
        outcomes = list(pool.map(run_and_report, targets))
    codes = {outcome.exit_code for outcome in outcomes}
    if EXIT_BAD_INPUT in codes:
        return EXIT_BAD_INPUT
    return EXIT_FAILURE if EXIT_FAILURE in codes else EXIT_OK
