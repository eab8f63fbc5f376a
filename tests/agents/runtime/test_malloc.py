"""glibc tuning: threads share the capped arenas; release_free_memory returns freed heap pages."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from agents.runtime.malloc import limit_malloc_arenas

REPO_ROOT = Path(__file__).resolve().parents[3]
# Eight threads each allocate 64 KB blocks (below the mmap threshold, so from an arena), then glibc's
# malloc_stats() prints one "Arena N:" section per arena in use on stderr.
PROGRAM = """
import ctypes, sys, threading
from agents.runtime.malloc import limit_malloc_arenas
limited = limit_malloc_arenas(int(sys.argv[1])) if sys.argv[1] != "none" else False
barrier = threading.Barrier(8)
kept = []
def allocate():
    barrier.wait(timeout=10)
    kept.append([bytearray(65536) for _ in range(4)])
threads = [threading.Thread(target=allocate) for _ in range(8)]
for thread in threads: thread.start()
for thread in threads: thread.join(timeout=10)
print(limited, flush=True)
ctypes.CDLL(None).malloc_stats()
"""

needs_glibc = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt(M_ARENA_MAX) is glibc's")


def arenas_used(limit: str) -> tuple[str, int]:
    env = {key: value for key, value in os.environ.items() if key != "MALLOC_ARENA_MAX"}
    result = subprocess.run([sys.executable, "-c", PROGRAM, limit], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=30)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip(), result.stderr.count("Arena ")


@needs_glibc
def test_threads_share_the_capped_arenas():
    applied, capped = arenas_used("1")
    assert applied == "True"
    assert capped == 1
    _, uncapped = arenas_used("none")
    assert uncapped > 1  # the cap, not the program, is what keeps it at one


def test_an_explicit_environment_setting_wins(monkeypatch):
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas() is False


# 4000 blocks of 16 KB from the heap (below the mmap threshold); every 40th stays, so the freed
# ones are holes glibc cannot give back by shrinking the heap's top. Prints RSS before and after.
FRAGMENTED = """
from agents.runtime.malloc import release_free_memory
def rss():
    return int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0])
blocks = [bytearray(16384) for _ in range(4000)]
kept = blocks[::40]
del blocks
before = rss()
print(release_free_memory(), before, rss())
"""


@needs_glibc
def test_release_free_memory_gives_freed_heap_pages_back():
    env = {**os.environ, "MALLOC_ARENA_MAX": "2"}
    result = subprocess.run([sys.executable, "-c", FRAGMENTED], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=30)  # fmt: skip
    assert result.returncode == 0, result.stderr
    released, before, after = result.stdout.split()
    assert released == "True"
    assert int(before) - int(after) > 30_000  # kB: most of the ~62 MB freed in holes
