"""Turn measured samples into a Markdown table of medians, ratios and targets met."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import time

from bench.brokers import perch_source
from bench.runner import Results
from bench.scenarios import CPU_ROWS, METRICS, Metric

REFERENCE, OTHER = "mosquitto", "amqtt"


def median(results: Results, broker: str, key: str) -> float | None:
    values = results.samples.get(broker, {}).get(key)
    return statistics.median(values) if values else None


def _number(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _ratio(perch: float | None, other: float | None) -> float | None:
    if perch is None or other is None or other == 0:
        return None
    return perch / other


def verdict(metric: Metric, perch: float | None, reference: float | None, amqtt: float | None) -> str:
    """'met', 'NOT met' or '' (no target); throughput rows also need versus_amqtt x amqtt."""
    if metric.target is None or perch is None:
        return ""
    if metric.absolute:
        ok = perch <= metric.target
    else:
        ratio = _ratio(perch, reference)
        if ratio is None:
            return "no reference"
        ok = ratio >= metric.target if metric.higher_is_better else ratio <= metric.target
    if metric.versus_amqtt and amqtt:
        ok = ok and perch / amqtt >= metric.versus_amqtt
    return "met" if ok else "NOT met"


def _target_text(metric: Metric) -> str:
    if metric.target is None:
        return ""
    if metric.absolute:
        return f"≤ {_number(metric.target)} {metric.unit}"
    text = f"{'≥' if metric.higher_is_better else '≤'} {metric.target:g}x Mosquitto"
    if metric.versus_amqtt:
        text += f", ≥ {metric.versus_amqtt:g}x amqtt"
    return text


def results_table(results: Results) -> str:
    names = results.brokers
    header = ["metric", *names]
    if "perch" in names and REFERENCE in names:
        header.append("Perch/Mosquitto")
    if "perch" in names and OTHER in names:
        header.append("Perch/amqtt")
    header += ["target", "verdict"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    small, large = (results.sizes.idle_counts + results.sizes.idle_counts[-1:])[:2]
    for metric in METRICS:
        values = {name: median(results, name, metric.key) for name in names}
        if all(value is None for value in values.values()):
            continue
        row = [f"{metric.label.format(small=small, large=large)} ({metric.unit})"]
        row += [_number(values[name]) for name in names]
        if "Perch/Mosquitto" in header:
            row.append(_ratio_text(values["perch"], values[REFERENCE]))
        if "Perch/amqtt" in header:
            row.append(_ratio_text(values["perch"], values[OTHER]))
        row += [
            _target_text(metric),
            verdict(metric, values.get("perch"), values.get(REFERENCE), values.get(OTHER)),
        ]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def _ratio_text(perch: float | None, other: float | None) -> str:
    ratio = _ratio(perch, other)
    return "n/a" if ratio is None else f"{ratio:.2f}x"


def cpu_table(results: Results) -> str:
    """Load generator vs broker CPU in the throughput runs (share of one core; the machine has a few)."""
    header = ["scenario", *(f"{name}: broker / load generator" for name in results.brokers)]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for prefix, label in CPU_ROWS:
        row = [label]
        for name in results.brokers:
            broker_cpu = median(results, name, f"{prefix}.broker_cpu")
            loadgen_cpu = median(results, name, f"{prefix}.loadgen_cpu")
            row.append(f"{_percent(broker_cpu)} / {_percent(loadgen_cpu)}")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f} %"


def failures_text(results: Results) -> str:
    lines = []
    for name, failed in results.failures.items():
        for scenario, reason in failed.items():
            lines.append(f"- {name}, {scenario}: {reason}")
    return "\n".join(lines)


def machine_text() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        mosquitto = subprocess.run(["mosquitto", "-h"], capture_output=True, text=True, timeout=5).stdout
        mosquitto_version = mosquitto.splitlines()[0].split("version")[-1].strip()
    except (OSError, IndexError, subprocess.TimeoutExpired):
        mosquitto_version = "?"
    load = os.getloadavg()[0]
    return (
        f"{os.cpu_count()} CPUs ({cpu}), Linux {platform.release()}, Python {platform.python_version()}, "
        f"Mosquitto {mosquitto_version}, load average {load:.1f} at the end"
    )


def perch_text() -> str:
    """Which Perch was measured: the commit of its checkout, and whether its broker had local edits."""
    source = str(perch_source())
    try:
        commit = subprocess.run(
            ["git", "-C", source, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        edits = subprocess.run(
            ["git", "-C", source, "status", "--porcelain", "--", "broker", "perch.py"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "Perch (commit unknown)"
    if not commit:
        return "Perch (commit unknown)"
    return f"Perch at commit {commit}" + (" with uncommitted broker edits" if edits else "")


def render(results: Results, command: str) -> str:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(results.started))
    parts = [
        f"Measured {when} on {machine_text()}; {perch_text()}.",
        f"Command: `{command}`; medians of {results.rounds} round(s), brokers alternated and started "
        f"fresh for every scenario; {results.seconds:.0f} s in all.",
        "",
        results_table(results),
        "",
        "CPU during the throughput runs (share of one core, set-up included; a load generator well below "
        "100 % was not the limit):",
        "",
        cpu_table(results),
    ]
    failed = failures_text(results)
    if failed:
        parts += ["", "Scenarios a broker could not run:", "", failed]
    return "\n".join(parts) + "\n"
