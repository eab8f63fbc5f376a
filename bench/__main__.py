"""`python -m bench`: Perch's broker side by side with Mosquitto and amqtt; prints (or writes) the table."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bench import brokers, runner
from bench.document import document
from bench.report import render
from bench.scenarios import FULL, QUICK, SCENARIOS


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer messages and one round by default")
    parser.add_argument("--rounds", type=int, help="rounds per broker (default 5, or 1 with --quick)")
    parser.add_argument(
        "--brokers", default=",".join(brokers.BROKERS), help="comma-separated: perch,mosquitto,amqtt"
    )
    parser.add_argument(
        "--scenarios", help="comma-separated subset: " + ",".join(scenario.name for scenario in SCENARIOS)
    )
    parser.add_argument(
        "--perch-source",
        type=Path,
        metavar="DIR",
        help="run Perch's broker from this checkout (default: this one)",
    )
    parser.add_argument(
        "--footprint-seconds",
        type=float,
        metavar="S",
        help="also measure broker + 10 simulated agents for S seconds (default 60, 15 with --quick; 0: skip)",
    )
    parser.add_argument(
        "--write", type=Path, metavar="FILE", help="write the full Markdown report (docs/performance.md)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    names = [name.strip() for name in args.brokers.split(",") if name.strip()]
    unknown = [name for name in names if name not in brokers.BROKERS]
    known_scenarios = {scenario.name for scenario in SCENARIOS}
    only = set(args.scenarios.split(",")) if args.scenarios else None
    if unknown or not names or (only and only - known_scenarios):
        print(
            f"python -m bench: unknown broker or scenario in {args.brokers!r} / {args.scenarios!r}",
            file=sys.stderr,
        )
        return 2
    rounds = args.rounds or (1 if args.quick else 5)
    if rounds < 1:
        print("python -m bench: --rounds must be at least 1", file=sys.stderr)
        return 2
    if args.perch_source:
        os.environ["PERCH_BENCH_SOURCE"] = str(args.perch_source.resolve())
    sizes = QUICK if args.quick else FULL
    results = runner.run(names, sizes, rounds, only)
    command = "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:])
    table = render(results, command.strip())
    footprint_seconds = args.footprint_seconds
    if footprint_seconds is None:
        footprint_seconds = 15.0 if args.quick else 60.0
    if footprint_seconds > 0 and "perch" in names:
        table += "\n## Appliance footprint (`python -m bench.footprint`)\n\n" + _footprint(footprint_seconds)
    print(table)
    if args.write:
        args.write.write_text(document(table))
        print(f"wrote {args.write}", file=sys.stderr)
    return 0 if results.samples.get("perch") or "perch" not in names else 1


def _footprint(seconds: float) -> str:
    import tempfile

    from bench import footprint

    with tempfile.TemporaryDirectory(prefix="perch-footprint-", dir=Path.home()) as folder:
        return footprint.render(footprint.measure(seconds, Path(folder)))


if __name__ == "__main__":
    sys.exit(main())
