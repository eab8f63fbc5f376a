"""``perch passwd`` (mosquitto_passwd's flags) and ``perch cert`` (the node's CA and server certificate)."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2
HASHES = {"sha512-pbkdf2": "7", "sha512": "6"}


def register(subcommands: argparse._SubParsersAction) -> None:
    """Add ``passwd`` and ``cert`` to the ``perch`` command."""
    _register_passwd(subcommands)
    _register_cert(subcommands)


def _register_passwd(subcommands: argparse._SubParsersAction) -> None:
    passwd = subcommands.add_parser(
        "passwd",
        help="add, change or delete a broker user (mosquitto_passwd-compatible file)",
        description="Manage a password file that both Perch and Mosquitto accept. "
        "Without -b the password is asked twice, without echo.",
    )
    passwd.add_argument(
        "-c", dest="create", action="store_true", help="create the file (replaces an existing one)"
    )
    passwd.add_argument("-D", dest="delete", action="store_true", help="delete the user")
    passwd.add_argument(
        "-b", dest="batch", action="store_true", help="take the password from the command line"
    )
    passwd.add_argument(
        "-H", dest="hash", choices=sorted(HASHES), default="sha512-pbkdf2", help="hash (default %(default)s)"
    )
    passwd.add_argument(
        "-I", dest="iterations", type=int, default=101, help="PBKDF2 iterations (default %(default)s)"
    )
    passwd.add_argument("file", type=Path, help="password file")
    passwd.add_argument("username")
    passwd.add_argument("password", nargs="?", help="the password (with -b only)")
    passwd.set_defaults(handler=run_passwd)


def _register_cert(subcommands: argparse._SubParsersAction) -> None:
    cert = subcommands.add_parser(
        "cert",
        help="create the node's CA and TLS server certificate, and export the CA for phones",
        description="Creates (or reuses) a per-node CA in DIR and issues a server certificate for "
        "<node>.local, <node>, and the given hostnames and addresses. The CA is exported as ca.crt (PEM), "
        "ca.cer (DER, for Android) and <node>-ca.mobileconfig (iOS).",
    )
    cert.add_argument("--node", required=True, help="node name (the certificate covers <node>.local)")
    cert.add_argument(
        "--out", type=Path, default=Path("/etc/perch/tls"), help="output folder (default %(default)s)"
    )
    cert.add_argument("--hostname", action="append", default=[], help="an extra DNS name (repeatable)")
    cert.add_argument("--ip", action="append", default=[], help="an IP address clients use (repeatable)")
    cert.add_argument(
        "--client", metavar="NAME", help="issue a client certificate (CN NAME) from the CA in DIR"
    )
    cert.add_argument(
        "--p12-password", help="with --client: also write NAME.p12 for phones, with this password"
    )
    cert.add_argument(
        "--this-host", action="store_true", help="also this machine's hostname and current addresses"
    )
    cert.add_argument(
        "--new-ca", action="store_true", help="replace an existing CA (phones must import it again)"
    )
    cert.set_defaults(handler=run_cert)


def _fail(message: str, code: int) -> int:
    print(f"perch passwd: {message}", file=sys.stderr)
    return code


def run_passwd(args: argparse.Namespace) -> int:
    from broker.auth.passwords import PasswordFile, PasswordFileError, check_username

    if args.create and args.delete:
        return _fail("-c and -D cannot be used together", EXIT_BAD_INPUT)
    if args.batch == (args.password is None) and not args.delete:
        return _fail("give the password on the command line exactly when -b is used", EXIT_BAD_INPUT)
    try:
        check_username(args.username)
    except ValueError as error:
        return _fail(str(error), EXIT_BAD_INPUT)
    try:
        passwords = PasswordFile(args.file) if args.create else PasswordFile.load(args.file)
    except PasswordFileError as error:
        return _fail(str(error), EXIT_BAD_INPUT)
    if args.delete:
        if args.username not in passwords:
            return _fail(f"user {args.username!r} is not in {args.file}", EXIT_FAILURE)
        passwords.delete(args.username)
    else:
        password = args.password if args.batch else _ask_password()
        if password is None:
            return _fail("the passwords do not match", EXIT_BAD_INPUT)
        if not password:
            return _fail("the password must not be empty", EXIT_BAD_INPUT)
        try:
            passwords.set(args.username, password, scheme=HASHES[args.hash], iterations=args.iterations)
        except ValueError as error:
            return _fail(str(error), EXIT_BAD_INPUT)
    try:
        passwords.save(args.file)
    except OSError as error:
        return _fail(f"cannot write {args.file}: {error.strerror}", EXIT_FAILURE)
    return EXIT_OK


def _ask_password() -> str | None:
    """Ask twice: without echo on a terminal, else two lines from stdin. None when they differ."""
    if sys.stdin.isatty():
        first, second = getpass.getpass("Password: "), getpass.getpass("Reenter password: ")
    else:
        first, second = sys.stdin.readline().rstrip("\r\n"), sys.stdin.readline().rstrip("\r\n")
    return first if first == second else None


def run_cert(args: argparse.Namespace) -> int:
    from broker.tls.certs import CertificateError, create_node_certificates

    if args.client is not None:
        return _run_client_cert(args)

    hostnames, addresses = list(args.hostname), list(args.ip)
    if args.this_host:
        hostnames, addresses = _add_this_host(hostnames, addresses)
    try:
        made = create_node_certificates(args.node, args.out, hostnames, addresses, new_ca=args.new_ca)
    except CertificateError as error:
        print(f"perch cert: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as error:
        print(f"perch cert: cannot write to {args.out}: {error.strerror}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"{'reused' if made.reused_ca else 'created'} CA: {made.ca_certificate}")
    print(f"server certificate: {made.server_certificate} (key {made.server_key})")
    print(f"for Android: {made.ca_der}   for iOS: {made.ca_mobileconfig}")
    return EXIT_OK


def _add_this_host(hostnames: list[str], addresses: list[str]) -> tuple[list[str], list[str]]:
    """Append this machine's hostname (when it is a usable DNS name) and its non-loopback addresses."""
    import socket

    from broker.tls.addresses import local_addresses
    from broker.tls.certs import CertificateError, check_dns_name

    hostname = socket.gethostname()
    try:
        if check_dns_name(hostname) != "localhost":
            hostnames = [*hostnames, hostname]
    except CertificateError:
        print(
            f"perch cert: leaving out this machine's hostname {hostname!r}: not a DNS name", file=sys.stderr
        )
    return hostnames, [*addresses, *(str(address) for address in local_addresses())]


def _run_client_cert(args: argparse.Namespace) -> int:
    from broker.tls.certs import CertificateError
    from broker.tls.clients import create_client_certificate

    try:
        made = create_client_certificate(args.out, args.client, args.p12_password)
    except CertificateError as error:
        print(f"perch cert: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as error:
        print(f"perch cert: cannot write to {args.out}: {error.strerror}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"client certificate: {made.certificate} (key {made.key})")
    if made.bundle is not None:
        print(f"for phones: {made.bundle}")
    return EXIT_OK
