"""`perch broker`: run the MQTT broker from the appliance config and/or quick flags."""

from __future__ import annotations

import argparse
import sys

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


def register(subcommands: argparse._SubParsersAction) -> None:
    """Add this component's subcommands to the `perch` command."""
    parser = subcommands.add_parser(
        "broker",
        help="run the MQTT broker (3.1, 3.1.1, 5.0 over TCP and WebSockets)",
        description="Run Perch's MQTT broker. Flags override the config file's broker: section.",
    )
    parser.add_argument("--config", metavar="FILE", help="appliance YAML file (its broker: section is used)")
    parser.add_argument("--bind", metavar="ADDR", help="address every listener binds (default 127.0.0.1)")
    parser.add_argument("--port", type=int, metavar="N", help="MQTT/TCP port (0 picks a free one)")
    parser.add_argument(
        "--ws-port", type=int, metavar="N", help="MQTT over WebSocket port (0 picks a free one)"
    )
    parser.add_argument("--max-keepalive", type=int, metavar="S", help="longest keepalive allowed (seconds)")
    from broker.server.flags import add_tls_flags

    add_tls_flags(parser)
    parser.add_argument(
        "--log-level",
        choices=("debug", "info", "warning", "error"),
        help="least important lines logged (default: the config's broker.log_level, else info; "
        "info logs each connect and disconnect)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details (--log-level debug)")
    parser.set_defaults(handler=run_broker)


def build_config(args: argparse.Namespace):  # -> BrokerConfig
    """The config file's broker section with the command line's flags applied on top."""
    from broker.config import BrokerConfig, ListenerConfig, load_config_file

    config = load_config_file(args.config) if args.config else BrokerConfig()
    listeners = list(config.listeners)
    if args.port is not None:
        listeners = [lst for lst in listeners if lst.websockets or lst.tls] + [ListenerConfig(port=args.port)]
    if args.ws_port is not None:
        listeners = [lst for lst in listeners if not lst.websockets] + [
            ListenerConfig(port=args.ws_port, websockets=True)
        ]
    if args.bind is not None:
        for listener in listeners:
            listener.bind = args.bind
    config.listeners = listeners
    if args.max_keepalive is not None:
        config.max_keepalive = args.max_keepalive
    if getattr(args, "verbose", False):
        config.log_level = "debug"
    elif getattr(args, "log_level", None):
        config.log_level = args.log_level
    from broker.server.flags import apply_tls_flags

    apply_tls_flags(config, args)
    config.validate()
    return config


def run_broker(args: argparse.Namespace) -> int:
    import asyncio
    import time

    from broker.config import ConfigError
    from broker.server.app import ListenError, install_uvloop, serve
    from broker.server.logs import configure_logging

    try:
        config = build_config(args)
    except ConfigError as error:
        print(f"perch broker: bad config: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    configure_logging(config.log_level)

    def announce(server) -> None:
        for index, (scheme, host, port) in enumerate(server.listening):
            if index:
                # Readers that select() on the pipe then readline() would strand a second line
                # written in the same chunk inside their buffer; one line per chunk avoids that.
                time.sleep(0.05)
            print(f"listening {scheme}://{host}:{port}", flush=True)

    install_uvloop()
    try:
        asyncio.run(serve(config, announce))
    except ConfigError as error:
        print(f"perch broker: bad config: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ListenError as error:
        print(f"perch broker: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return EXIT_OK
    return EXIT_OK
