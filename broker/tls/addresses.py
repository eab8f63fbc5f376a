"""This machine's own addresses, for ``perch cert --this-host``, read from the kernel's /proc files.

Reading ``/proc`` sends nothing on the network and needs no extra tool. IPv4: every ``/32 host LOCAL``
entry of ``/proc/net/fib_trie``. IPv6: the global-scope entries of ``/proc/net/if_inet6`` (link-local
addresses need a zone and cannot go into a certificate). Loopback addresses are left out.
"""

from __future__ import annotations

import ipaddress
import itertools
from pathlib import Path

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
GLOBAL_SCOPE = "00"


def local_addresses(proc: Path = Path("/proc")) -> list[Address]:
    """The non-loopback addresses of this machine, IPv4 first, without duplicates."""
    found: list[Address] = [
        *_ipv4_addresses(proc / "net" / "fib_trie"),
        *_ipv6_addresses(proc / "net" / "if_inet6"),
    ]
    return list(dict.fromkeys(address for address in found if not address.is_loopback))


def _ipv4_addresses(fib_trie: Path) -> list[Address]:
    try:
        lines = fib_trie.read_text().splitlines()
    except OSError:
        return []
    addresses: list[Address] = []
    for previous, line in itertools.pairwise(lines):
        if line.strip() == "/32 host LOCAL" and "|--" in previous:
            try:
                addresses.append(ipaddress.IPv4Address(previous.split("|--", 1)[1].strip()))
            except ValueError:
                continue
    return addresses


def _ipv6_addresses(if_inet6: Path) -> list[Address]:
    try:
        lines = if_inet6.read_text().splitlines()
    except OSError:
        return []
    addresses: list[Address] = []
    for line in lines:
        fields = line.split()
        if len(fields) >= 4 and fields[3] == GLOBAL_SCOPE and len(fields[0]) == 32:
            try:
                addresses.append(ipaddress.IPv6Address(bytes.fromhex(fields[0])))
            except ValueError:
                continue
    return addresses
