"""`perch` subcommands of the agents component: agents, check, demo, watch, scan.

Handlers stay thin: they parse arguments, call the component's API and map outcomes to exit codes
(0 ok, 1 runtime failure, 2 bad input or config). Heavy imports happen inside the handlers.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

DEFAULT_CONFIG = Path("/etc/perch/perch.yaml")
DEMO_CONFIG = Path(__file__).resolve().parent.parent / "examples" / "demo.yaml"
EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2
RELOAD_POLL = 1.0  # seconds between checks of the config files' mtimes


def stop_on_signals(stop: threading.Event) -> None:
    """SIGINT and SIGTERM end the run cleanly (no KeyboardInterrupt in the middle of a publish)."""
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def load_or_report(path: Path) -> object | None:
    from agents.config.errors import ConfigError
    from agents.config.loader import load_config

    try:
        return load_config(path)
    except ConfigError as error:
        print(error, file=sys.stderr)
        print(f"{len(error.issues)} error(s) in the config", file=sys.stderr)
        return None


def run_agents(args: argparse.Namespace) -> int:
    """The agents service: run until SIGTERM/SIGINT; reload on SIGHUP and on file changes."""
    from agents.runtime.malloc import limit_malloc_arenas, release_free_memory
    from agents.runtime.reload import Reloader
    from agents.runtime.runtime import Runtime

    limit_malloc_arenas()  # before any thread starts
    setup_logging(args.verbose)
    config = load_or_report(args.config)
    if config is None:
        return EXIT_BAD_INPUT
    stop, reload_requested = threading.Event(), threading.Event()
    stop_on_signals(stop)
    signal.signal(signal.SIGHUP, lambda *_: reload_requested.set())
    try:
        runtime = Runtime(config, simulate=args.simulate or None)
        runtime.start()
    except (OSError, ValueError) as error:  # unreadable password_file or TLS files, unusable spool
        print(f"perch agents: {error}", file=sys.stderr)
        return EXIT_FAILURE
    release_free_memory()  # what loading the config freed
    reloader = Reloader(runtime, args.config, report=logging.getLogger("perch.agents").warning)
    if args.simulate:
        reloader.adjust = lambda loaded: setattr(loaded, "simulate", True)
    try:
        while not stop.wait(RELOAD_POLL):
            if reload_requested.is_set():
                reload_requested.clear()
                reloader.reload()
            else:
                reloader.check()
    finally:
        runtime.stop()
    return EXIT_OK


def check(args: argparse.Namespace) -> int:
    if args.reference:
        from agents.config.manual import render_reference

        sys.stdout.write(render_reference())
        return EXIT_OK
    config = load_or_report(args.file)
    if config is None:
        return EXIT_BAD_INPUT
    from agents.drivers.registry import default_registry

    for problem in default_registry().problems:
        print(f"warning: {problem}", file=sys.stderr)
    enabled = [agent for agent in config.agents if agent.enabled]
    print(f"{args.file}: ok, node {config.node}, {len(enabled)} agent(s) enabled of {len(config.agents)}")
    for agent in config.agents:
        state = "" if agent.enabled else " (disabled)"
        print(f"  {agent.name}: {agent.type}, every {agent.interval:g}s{state}")
    return EXIT_OK


def demo(args: argparse.Namespace) -> int:
    from agents.config.errors import ConfigError
    from agents.demo import run_demo
    from agents.runtime.malloc import limit_malloc_arenas

    limit_malloc_arenas()  # broker and agents threads in one process
    stop = threading.Event()
    stop_on_signals(stop)
    logging.basicConfig(level=logging.INFO, handlers=[logging.NullHandler()])
    try:
        return run_demo(args.config, args.port, stop, sys.stdout, args.refresh)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_INPUT
    except RuntimeError as error:
        print(f"perch demo: {error}", file=sys.stderr)
        return EXIT_FAILURE


def watch_node(args: argparse.Namespace) -> int:
    from agents.watch import watch

    stop = threading.Event()
    stop_on_signals(stop)
    title = f"perch watch: {args.host}:{args.port}, topics {args.prefix}/#  (Ctrl-C stops)"
    return watch(args.host, args.port, args.prefix, stop, sys.stdout, args.refresh, lambda: (title, ""))


def scan(args: argparse.Namespace) -> int:
    from agents.hw.scan import identify, propose_yaml
    from agents.hw.scan import scan as scan_bus

    try:
        bus, closer = open_scan_bus(args)
    except (OSError, ValueError) as error:
        print(f"perch scan: {error}", file=sys.stderr)
        return EXIT_FAILURE
    try:
        found = {address: identify(bus, address) for address in scan_bus(bus)}
    finally:
        closer()
    if not found:
        print(f"no I2C devices answer on bus {args.bus}")
        return EXIT_OK
    for address, type_name in sorted(found.items()):
        print(f"0x{address:02x}  {type_name or 'unknown chip'}")
    proposal = propose_yaml(args.bus, found)
    if proposal:
        print("\nProposed config (check the names, then add to perch.yaml or agents.d/):\n")
        print(proposal, end="")
    return EXIT_OK


def open_scan_bus(args: argparse.Namespace) -> tuple[object, object]:
    """The real bus, or with ``--simulate CONFIG`` an emulated bus with that config's chips attached."""
    if args.simulate is None:
        from agents.hw.real import open_smbus

        bus = open_smbus(args.bus)
        return bus, bus.close
    import shutil
    import tempfile

    from agents.config.errors import ConfigError
    from agents.config.loader import load_config
    from agents.sim.hardware import SimulatedHardware

    try:
        config = load_config(args.simulate)
    except ConfigError as error:
        raise ValueError(str(error)) from None
    folder = Path(tempfile.mkdtemp(prefix="perch-scan-"))
    hardware = SimulatedHardware(folder)
    for agent in config.agents:
        if getattr(agent.options, "bus", None) == args.bus:
            agent.driver.simulate(agent.options, hardware)

    def close() -> None:
        hardware.close()
        shutil.rmtree(folder, ignore_errors=True)

    return hardware.i2c_bus(args.bus), close


def register(subcommands: argparse._SubParsersAction) -> None:
    """Add this component's subcommands to the `perch` command."""
    agents = subcommands.add_parser(
        "agents", help="run the sensor agents (reloads on SIGHUP and file changes)"
    )
    agents.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help=f"default {DEFAULT_CONFIG}")
    agents.add_argument("--simulate", action="store_true", help="emulated pins and chips instead of hardware")
    agents.add_argument("--verbose", "-v", action="store_true")
    agents.set_defaults(handler=run_agents)

    checker = subcommands.add_parser("check", help="validate a config file (exit 2 on errors)")
    checker.add_argument("file", nargs="?", type=Path, default=DEFAULT_CONFIG)
    checker.add_argument("--reference", action="store_true", help="print the Markdown config reference")
    checker.set_defaults(handler=check)

    demo_parser = subcommands.add_parser("demo", help="broker + simulated agents + live table")
    demo_parser.add_argument("--config", type=Path, default=DEMO_CONFIG, help="default examples/demo.yaml")
    demo_parser.add_argument("--port", type=int, default=1883, help="MQTT port (a free one if taken; 0: any)")
    demo_parser.add_argument("--refresh", type=float, default=1.0, help="seconds between table redraws")
    demo_parser.set_defaults(handler=demo)

    watcher = subcommands.add_parser("watch", help="live table of a Perch node's readings")
    watcher.add_argument("host", nargs="?", default="localhost")
    watcher.add_argument("--port", type=int, default=1883)
    watcher.add_argument("--prefix", default="perch", help="topic prefix (default perch)")
    watcher.add_argument("--refresh", type=float, default=1.0)
    watcher.set_defaults(handler=watch_node)

    scanner = subcommands.add_parser("scan", help="list I2C devices and propose YAML for known chips")
    scanner.add_argument("bus", nargs="?", type=int, default=1)
    scanner.add_argument(
        "--simulate", type=Path, metavar="CONFIG", help="scan an emulated bus with CONFIG's chips"
    )
    scanner.set_defaults(handler=scan)
