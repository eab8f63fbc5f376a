"""The appliance's footprint: Perch's broker plus 10 simulated agents reading every second.

    python -m bench.footprint [--seconds 60]

Starts ``perch broker`` and ``perch agents --simulate`` as the Pi would run them (with the
environment the systemd units set), waits until the first reading is delivered (start-up time), then
samples both processes for --seconds: total RSS, CPU as a share of one core, and bytes written to
storage (``write_bytes`` of /proc/PID/io, i.e. what reaches the SD card), scaled to one hour.

The simulator's fake /proc and /sys files are not what a Pi writes (there they are the kernel's), so
they go to a tmpfs (/dev/shm, via PERCH_SIM_DIR) when there is one; the output says where they went.
The spool, pulse-counter totals and everything else Perch writes stay on disk and are counted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench import packets
from bench.brokers import LISTENING, perch_source
from bench.client import BenchClient, process_cpu_seconds, pss_bytes, rss_bytes

AGENTS = """\
agents:
  - {name: climate, type: bme280, address: 0x76, interval: 1s}
  - {name: shed, type: bmp280, address: 0x77, interval: 1s}
  - {name: greenhouse, type: sht3x, address: 0x44, interval: 1s}
  - {name: porch, type: sht3x, address: 0x45, interval: 1s}
  - {name: daylight, type: bh1750, address: 0x23, interval: 1s}
  - {name: shade, type: bh1750, address: 0x5c, interval: 1s}
  - {name: power, type: ina219, address: 0x40, interval: 1s}
  - {name: water, type: ds18b20, interval: 1s}
  - {name: rain, type: counter, pin: GPIO22, interval: 1s}
  - {name: pi, type: system, interval: 1s}
"""
START_TIMEOUT = 60.0
LIMIT = 60 * 2**20
UNIT_ENVIRONMENT = {"MALLOC_ARENA_MAX": "2"}  # as systemd/perch-*.service set it
TMPFS = Path("/dev/shm")


@dataclass
class Footprint:
    rss_bytes: int
    broker_rss_bytes: int
    cpu_share: float  # of one core
    startup_seconds: float
    bytes_written_per_hour: float
    written_by_agents_per_hour: float
    readings: int
    seconds: float
    sim_files: str = ""  # where the simulator's fake kernel files were
    broker_cpu_share: float | None = None  # the total's two parts, of one core
    agents_cpu_share: float | None = None
    watcher_cpu_share: float | None = None  # this process (the measuring subscriber): not in the total
    pss_bytes: int | None = None  # both processes' PSS when their RSS peaked (shared pages counted once)


def appliance_config(folder: Path, port: int) -> Path:
    path = folder / "perch.yaml"
    path.write_text(
        f"node: bench\ntopic_prefix: perch\nsimulate: true\nstate_dir: {folder / 'state'}\n"
        f"mqtt: {{host: 127.0.0.1, port: {port}}}\n" + AGENTS
    )
    return path


def is_tmpfs(path: Path) -> bool:
    """True if ``path`` is a mount point of a tmpfs (per /proc/mounts)."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return False
    return any(fields[1] == str(path) and fields[2] == "tmpfs" for fields in map(str.split, mounts))


def environment(sim_dir: Path | None) -> dict[str, str]:
    """This process's environment plus the units' settings, and PERCH_SIM_DIR if given."""
    env = {key: value for key, value in os.environ.items() if key != "PERCH_SIM_DIR"}
    env.update(UNIT_ENVIRONMENT)
    if sim_dir is not None:
        env["PERCH_SIM_DIR"] = str(sim_dir)
    return env


def _start_broker(folder: Path, env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    command = [sys.executable, "-m", "perch", "broker", "--bind", "127.0.0.1", "--port", "0"]
    log = (folder / "broker.log").open("w")
    process = subprocess.Popen(
        command, cwd=perch_source(), stdout=subprocess.PIPE, stderr=log, text=True, env=env
    )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        match = LISTENING.match(process.stdout.readline())
        if match:
            return process, int(match.group(2))
    process.kill()
    raise RuntimeError(f"broker did not start; see {folder / 'broker.log'}")


def _wait_for_reading(client: BenchClient, deadline: float) -> None:
    while time.monotonic() < deadline:
        with contextlib.suppress(TimeoutError):
            client.expect(packets.PUBLISH, timeout=max(0.01, deadline - time.monotonic()))
            return
    raise RuntimeError("no reading from the agents before the deadline")


def _write_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/io") as io:
        return next(int(line.split()[1]) for line in io if line.startswith("write_bytes:"))


def measure(seconds: float, folder: Path, sim_files_on_disk: bool = False) -> Footprint:
    """Run broker and agents with their state in ``folder`` and sample them for ``seconds``."""
    sim_dir = None if sim_files_on_disk or not is_tmpfs(TMPFS) else TMPFS
    env = environment(sim_dir)
    began = time.monotonic()
    broker, port = _start_broker(folder, env)
    agents = None
    try:
        config = appliance_config(folder, port)
        command = [sys.executable, "-m", "perch", "agents", "--simulate", "--config", str(config)]
        with (folder / "agents.log").open("w") as log:
            agents = subprocess.Popen(command, cwd=perch_source(), stdout=log, stderr=log, env=env)
        watcher = BenchClient("127.0.0.1", port, "bench-footprint")
        watcher.subscribe("perch/bench/+/+")
        _wait_for_reading(watcher, began + START_TIMEOUT)
        startup = time.monotonic() - began
        result = _sample([broker.pid, agents.pid], watcher, seconds, startup)
        result.sim_files = f"tmpfs {sim_dir}" if sim_dir is not None else f"disk, under {folder}"
        return result
    finally:
        for process in (agents, broker):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)


def _sample(pids: list[int], watcher: BenchClient, seconds: float, startup: float) -> Footprint:
    cpu_before = [process_cpu_seconds(pid) for pid in pids]
    watcher_cpu_before = time.process_time()
    written_before = sum(_write_bytes(pid) for pid in pids)
    agents_written_before = _write_bytes(pids[1])
    started = time.monotonic()
    readings, peak_rss, broker_rss, pss = 0, 0, 0, 0
    while (elapsed := time.monotonic() - started) < seconds:
        with contextlib.suppress(TimeoutError):
            watcher.expect(packets.PUBLISH, timeout=min(1.0, max(0.01, seconds - elapsed)))
            readings += 1
        sizes = [rss_bytes(pid) for pid in pids]
        if sum(sizes) > peak_rss:
            peak_rss, broker_rss = sum(sizes), sizes[0]
            pss = sum(pss_bytes(pid) for pid in pids)
    elapsed = time.monotonic() - started
    cpu = [process_cpu_seconds(pid) - before for pid, before in zip(pids, cpu_before, strict=True)]
    watcher_cpu = time.process_time() - watcher_cpu_before
    written = sum(_write_bytes(pid) for pid in pids) - written_before
    by_agents = _write_bytes(pids[1]) - agents_written_before
    watcher.close()
    hourly = 3600 / elapsed
    return Footprint(
        peak_rss,
        broker_rss,
        sum(cpu) / elapsed,
        startup,
        written * hourly,
        by_agents * hourly,
        readings,
        elapsed,
        broker_cpu_share=cpu[0] / elapsed,
        agents_cpu_share=cpu[1] / elapsed,
        watcher_cpu_share=watcher_cpu / elapsed,
        pss_bytes=pss,
    )


def _megabytes(size: int | None) -> str:
    return "n/a" if size is None else f"{size / 2**20:.1f} MB"


def _percent(share: float | None) -> str:
    return "n/a" if share is None else f"{share * 100:.2f} %"


def render(result: Footprint) -> str:
    rows = [
        (
            "total RSS, broker + agents (peak)",
            f"{result.rss_bytes / 2**20:.1f} MB",
            "≤ 60 MB",
            result.rss_bytes <= LIMIT,
        ),
        ("of which the broker", f"{result.broker_rss_bytes / 2**20:.1f} MB", "", None),
        ("of which the agents", f"{(result.rss_bytes - result.broker_rss_bytes) / 2**20:.1f} MB", "", None),
        ("PSS, broker + agents (shared pages counted once)", _megabytes(result.pss_bytes), "", None),
        ("CPU, share of one core", f"{result.cpu_share * 100:.2f} %", "≤ 3 %", result.cpu_share <= 0.03),
        ("of which the broker", _percent(result.broker_cpu_share), "", None),
        ("of which the agents", _percent(result.agents_cpu_share), "", None),
        ("measuring subscriber (not in the total)", _percent(result.watcher_cpu_share), "", None),
        ("start-up to first reading delivered", f"{result.startup_seconds:.2f} s", "", None),
        ("bytes written to storage per hour", f"{result.bytes_written_per_hour / 2**20:.2f} MB", "", None),
        ("of which by the agents", f"{result.written_by_agents_per_hour / 2**20:.2f} MB", "", None),
        ("readings delivered per second", f"{result.readings / result.seconds:.1f}", "", None),
    ]
    lines = ["| measure | value | target | verdict |", "| --- | --- | --- | --- |"]
    for label, value, target, met in rows:
        verdict = "" if met is None else ("met" if met else "NOT met")
        lines.append(f"| {label} | {value} | {target} | {verdict} |")
    notes = (
        f"10 simulated agents at 1 s, sampled for {result.seconds:.0f} s; "
        + " ".join(f"{key}={value}" for key, value in UNIT_ENVIRONMENT.items())
        + " as in the systemd units.\n"
        f"The simulator's fake /proc and /sys files were on {result.sim_files or 'disk'} (a Pi's are the "
        "kernel's); the spool, pulse-counter totals and all else Perch writes are on disk and counted.\n"
    )
    return "\n".join(lines) + "\n\n" + notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.footprint", description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to sample (default 60)")
    parser.add_argument(
        "--sim-files-on-disk",
        action="store_true",
        help="keep the simulator's fake kernel files on disk too (counted in the writes)",
    )
    args = parser.parse_args(argv)
    if args.seconds <= 0:
        print("python -m bench.footprint: --seconds must be positive", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="perch-footprint-", dir=Path.home()) as folder:
        result = measure(args.seconds, Path(folder), args.sim_files_on_disk)
    print(render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
