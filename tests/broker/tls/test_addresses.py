"""perch cert --this-host: the machine's addresses, read from (fake) /proc files."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from cryptography import x509

from broker.tls.addresses import local_addresses
from perch import main as perch_main

FIB_TRIE = """\
Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 127.0.0.0/8 2 0 2
           |-- 127.0.0.1
              /32 host LOCAL
     +-- 192.168.1.0/24 2 0 2
           |-- 192.168.1.0
              /24 link UNICAST
           |-- 192.168.1.40
              /32 host LOCAL
        |-- 192.168.1.255
           /32 link BROADCAST
Local:
           |-- 192.168.1.40
              /32 host LOCAL
           |-- 10.8.0.2
              /32 host LOCAL
"""
IF_INET6 = """\
fe8000000000000000fc00fffe000001 04 40 20 80     wlan0
fd000000000000000000000000000002 04 40 00 82     wlan0
00000000000000000000000000000001 01 80 10 80       lo
"""


def fake_proc(root: Path) -> Path:
    (root / "net").mkdir(parents=True)
    (root / "net" / "fib_trie").write_text(FIB_TRIE)
    (root / "net" / "if_inet6").write_text(IF_INET6)
    return root


def test_local_addresses_skip_loopback_link_local_and_duplicates(tmp_path: Path) -> None:
    found = local_addresses(fake_proc(tmp_path / "proc"))
    assert [str(address) for address in found] == ["192.168.1.40", "10.8.0.2", "fd00::2"]


def test_missing_proc_files_give_no_addresses(tmp_path: Path) -> None:
    assert local_addresses(tmp_path) == []


def test_this_host_puts_the_machines_addresses_into_the_certificate(tmp_path: Path) -> None:
    out = tmp_path / "tls"
    assert perch_main(["cert", "--node", "barn", "--out", str(out), "--this-host"]) == 0
    certificate = x509.load_pem_x509_certificate((out / "server.crt").read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    in_certificate = set(names.get_values_for_type(x509.IPAddress))
    assert set(local_addresses()) <= in_certificate
    assert ipaddress.ip_address("127.0.0.1") not in in_certificate
