"""``perch broker`` quick flags for TLS listeners and the access files (imported at ``perch --help``,
so nothing heavy here)."""

from __future__ import annotations

from typing import Any


def add_tls_flags(parser: Any) -> None:
    """``perch broker`` quick flags for TLS listeners (MQTT and WebSockets) and the access files."""
    parser.add_argument("--tls-port", type=int, metavar="N", help="MQTT over TLS port (0 picks a free one)")
    parser.add_argument("--wss-port", type=int, metavar="N", help="MQTT over WebSockets over TLS port")
    parser.add_argument("--certfile", metavar="FILE", help="server certificate for the TLS ports")
    parser.add_argument("--keyfile", metavar="FILE", help="server key for the TLS ports")
    parser.add_argument("--cafile", metavar="FILE", help="CA whose client certificates are accepted")
    parser.add_argument("--password-file", metavar="FILE", help="Mosquitto-format password file")
    parser.add_argument("--acl-file", metavar="FILE", help="Mosquitto-format ACL file")


def apply_tls_flags(config: Any, args: Any) -> None:
    """Add the flags' TLS listeners (replacing the config's TLS listeners of the same kind)."""
    from broker.config import ConfigError, ListenerConfig, TlsConfig

    tls_port, wss_port = getattr(args, "tls_port", None), getattr(args, "wss_port", None)
    if getattr(args, "password_file", None):
        config.password_file = args.password_file
    if getattr(args, "acl_file", None):
        config.acl_file = args.acl_file
    if tls_port is None and wss_port is None:
        return
    if not (args.certfile and args.keyfile):
        raise ConfigError("--tls-port/--wss-port", "need --certfile and --keyfile")
    bind = args.bind or "127.0.0.1"
    for port, websockets in ((tls_port, False), (wss_port, True)):
        if port is None:
            continue
        config.listeners = [lst for lst in config.listeners if not (lst.tls and lst.websockets == websockets)]
        tls = TlsConfig(args.certfile, args.keyfile, args.cafile)
        config.listeners.append(ListenerConfig(port=port, bind=bind, websockets=websockets, tls=tls))
