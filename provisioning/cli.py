"""`perch provision`: run provisioning tasks on one or more Pis over SSH (Fabric).

    perch provision [OPTIONS] HOST [HOST...] [TASK [ARGS]]

HOST is ``[user@]host[:port]``. Options go before the first host; the task's own arguments after it.
Without a task, ``setup`` runs (bootstrap, then deploy).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2
TASKS_HELP = """tasks (each idempotent; a second run changes nothing):
  setup [CONFIG] [--wheels DIR]
                       bootstrap, then config push CONFIG (if given), then deploy (the default task)
  bootstrap            apt packages, I2C/SPI/1-Wire, the perch user and groups, /etc/perch
  deploy [--wheels DIR]
                       Perch's wheels into /opt/perch, units installed and enabled, restart what changed
  config push FILE     validate FILE like `perch check`, make it /etc/perch/perch.yaml, reload the agents
  agent add FILE       validate FILE, put it into /etc/perch/agents.d/, reload the agents
  status               services, Perch version, latest readings
  logs [-n N]          the journal of perch-broker and perch-agents
  passwd USER [--password-file F | -D]   add, change or delete a broker user

without hosts:
  wheels DIR [--arch A] [--python X.Y]   build the wheels a node needs into DIR (for --wheels, Ansible)

examples:
  perch provision pi@raspberrypi.local
  perch provision --key ~/.ssh/pi pi@greenhouse.local pi@shed.local setup perch.yaml
  perch provision pi@greenhouse.local agent add agents.d/soil.yaml

exit codes: 0 every host ok, 1 a host failed (unreachable, login, sudo, a command), 2 bad input or config
"""


def register(subcommands: argparse._SubParsersAction) -> None:
    """Add this component's subcommands to the `perch` command."""
    parser = subcommands.add_parser(
        "provision",
        help="make running Pis into Perch nodes over SSH (bootstrap, deploy, config push, ...)",
        description="Run a provisioning task on one or more Pis over SSH. Host keys are checked against "
        "known_hosts; the SSH user needs password-less sudo (or --ask-sudo-password).",
        epilog=TASKS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="perch provision [OPTIONS] HOST [HOST...] [TASK [ARGS]]",
    )
    parser.add_argument("--key", type=Path, metavar="FILE", help="SSH private key (only this key is tried)")
    parser.add_argument(
        "--known-hosts", type=Path, metavar="FILE", help="known_hosts file (default ~/.ssh/known_hosts)"
    )
    parser.add_argument("--port", type=int, metavar="N", help="SSH port (default 22)")
    parser.add_argument("--user", metavar="NAME", help="SSH user for hosts given without user@")
    parser.add_argument(
        "--timeout", type=float, default=10.0, metavar="S", help="connect timeout, seconds (default 10)"
    )
    parser.add_argument(
        "--ask-sudo-password", action="store_true", help="ask for the sudo password (same on every host)"
    )
    parser.add_argument("words", nargs=argparse.REMAINDER, metavar="HOST... TASK ARGS")
    parser.set_defaults(handler=provision)


def provision(args: argparse.Namespace) -> int:
    from importlib.util import find_spec

    if find_spec("fabric") is None:
        print("perch provision needs Fabric: pip install 'perch[provision]'", file=sys.stderr)
        return EXIT_FAILURE
    from provisioning.connection import SshOptions, check_options, parse_target
    from provisioning.errors import BadInputError
    from provisioning.plans import build_plan, split_hosts_and_task
    from provisioning.runner import run_everywhere

    try:
        hosts, task_words = split_hosts_and_task(args.words)
        if task_words[0] == "wheels":
            return build_wheels(hosts, task_words[1:])
        if not hosts:
            raise BadInputError("no host given: perch provision [OPTIONS] HOST [HOST...] [TASK [ARGS]]")
        targets = [parse_target(host) for host in hosts]
        if args.port is not None and not 0 < args.port < 65536:
            raise BadInputError("--port must be 1-65535")
        options = SshOptions(
            key_file=args.key,
            known_hosts=args.known_hosts,
            port=args.port,
            user=args.user,
            connect_timeout=args.timeout,
            sudo_password=ask_sudo_password() if args.ask_sudo_password else None,
        )
        check_options(options)
        plan = build_plan(task_words)
    except BadInputError as error:
        print(f"perch provision: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return run_everywhere(targets, options, plan)
    finally:
        plan.close()


def ask_sudo_password() -> str:
    """From the terminal without echo, or the first line of stdin when it is not a terminal."""
    if sys.stdin.isatty():
        return getpass.getpass("sudo password: ")
    return sys.stdin.readline().rstrip("\r\n")


def build_wheels(hosts: list[str], arguments: list[str]) -> int:
    """``perch provision wheels DIR``: a local build, no host involved."""
    from provisioning.errors import BadInputError, ProvisionError
    from provisioning.plans import task_parser
    from provisioning.wheels import build_wheel_folder

    if hosts:
        raise BadInputError("wheels runs here, on no host: perch provision wheels DIR")
    parser = task_parser("wheels")
    parser.prog = "perch provision wheels"
    parser.add_argument("folder", type=Path)
    parser.add_argument("--arch", default="aarch64", help="the nodes' CPU (uname -m); default aarch64")
    parser.add_argument("--python", default="3.11", help="the nodes' python3 version; default 3.11")
    parsed = parser.parse_args(arguments)
    try:
        wheels = build_wheel_folder(parsed.folder, parsed.arch, parsed.python)
    except ProvisionError as error:
        print(f"perch provision: {error}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"{len(wheels)} wheels for {parsed.arch}/Python {parsed.python} in {parsed.folder}")
    return EXIT_OK
