"""``perch watch``: a live terminal table of any Perch node's readings, built from its retained topics."""

from __future__ import annotations

import json
import shutil
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TextIO

CLEAR_SCREEN = "\x1b[H\x1b[2J"
IGNORED_LEAVES = {"set"}


@dataclass
class ReadingsTable:
    """The latest value of every quantity seen under ``{prefix}/{node}/{agent}/{quantity}``."""

    prefix: str = "perch"
    values: dict[tuple[str, str, str], tuple[str, float]] = field(default_factory=dict)
    units: dict[tuple[str, str, str], str] = field(default_factory=dict)
    agent_status: dict[tuple[str, str], str] = field(default_factory=dict)
    node_status: dict[str, str] = field(default_factory=dict)
    read_at: dict[tuple[str, str], float] = field(default_factory=dict)  # from the JSON state's timestamp
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def update(self, topic: str, payload: bytes, now: float | None = None) -> None:
        """Take one message; an empty (cleared) retained payload removes the entry."""
        if not topic.startswith(self.prefix + "/"):
            return
        parts = topic[len(self.prefix) + 1 :].split("/")
        text = payload.decode("utf-8", "replace")
        now = time.time() if now is None else now
        with self._lock:
            if len(parts) == 2 and parts[1] == "status":
                self._store(self.node_status, parts[0], text)
            elif len(parts) == 2:
                self._take_timestamp(parts[0], parts[1], text)
            elif len(parts) == 3 and parts[2] == "status":
                self._store(self.agent_status, (parts[0], parts[1]), text)
            elif len(parts) == 3 and parts[2] == "meta":
                self._take_units(parts[0], parts[1], text)
            elif len(parts) == 3 and parts[2] not in IGNORED_LEAVES:
                key = (parts[0], parts[1], parts[2])
                self._store(self.values, key, (text, now) if text else "")

    @staticmethod
    def _store(table: dict, key: object, value: object) -> None:
        if value:
            table[key] = value
        else:
            table.pop(key, None)

    def _take_timestamp(self, node: str, agent: str, text: str) -> None:
        """Ages count from when the agent read the value, not from when we heard of it."""
        try:
            stamp = json.loads(text)["timestamp"]
            self.read_at[(node, agent)] = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
        except (ValueError, KeyError, TypeError, AttributeError):
            return

    def _take_units(self, node: str, agent: str, text: str) -> None:
        try:
            quantities = json.loads(text).get("quantities", {}) if text else {}
        except (ValueError, AttributeError):
            return
        for name, described in quantities.items():
            if isinstance(described, dict) and described.get("unit"):
                self.units[(node, agent, name)] = described["unit"]

    def rows(self, now: float | None = None) -> list[list[str]]:
        now = time.time() if now is None else now
        with self._lock:
            rows = []
            for (node, agent, quantity), (value, seen) in sorted(self.values.items()):
                unit = self.units.get((node, agent, quantity), "")
                status = self.agent_status.get((node, agent), "")
                read_at = min(self.read_at.get((node, agent), seen), seen)
                age = f"{max(0, now - read_at):.0f}s"
                rows.append([node, agent, quantity, value, unit, age, status])
            return rows

    def render(self, now: float | None = None) -> str:
        """One row per quantity (for logs and pipes)."""
        header = ["NODE", "AGENT", "QUANTITY", "VALUE", "UNIT", "AGE", "STATUS"]
        return self._table(header, self.rows(now))

    def render_compact(self, now: float | None = None, width: int = 0) -> str:
        """One row per agent, cut to ``width`` columns (for a terminal screen)."""
        grouped: dict[tuple[str, str], list[list[str]]] = {}
        for row in self.rows(now):
            grouped.setdefault((row[0], row[1]), []).append(row)
        rows = []
        for (node, agent), members in grouped.items():
            readings = "  ".join(f"{m[2]} {m[3]}{' ' + m[4] if m[4] else ''}" for m in members)
            rows.append([node, agent, members[0][6], min(members, key=lambda m: int(m[5][:-1]))[5], readings])
        text = self._table(["NODE", "AGENT", "STATUS", "AGE", "READINGS"], rows)
        return "\n".join(line[:width] if width else line for line in text.splitlines())

    def _table(self, header: list[str], rows: list[list[str]]) -> str:
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
                 for row in [header, *rows]]  # fmt: skip
        with self._lock:
            nodes = ", ".join(f"{node} {state}" for node, state in sorted(self.node_status.items()))
        lines.append(f"nodes: {nodes or 'none seen yet'}")
        return "\n".join(lines)


def watch(
    host: str,
    port: int,
    prefix: str,
    stop: threading.Event,
    out: TextIO = sys.stdout,
    refresh: float = 1.0,
    around: Callable[[], tuple[str, str]] = lambda: ("", ""),
) -> int:
    """Subscribe to ``{prefix}/#`` and redraw the table until ``stop`` is set.

    ``around`` is called before each redraw and returns text to show above and below the table.
    """
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    table = ReadingsTable(prefix)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="", clean_session=True)
    client.on_connect = lambda c, u, f, reason, p: c.subscribe(f"{prefix}/#", qos=1)
    client.on_message = lambda c, u, message: table.update(message.topic, message.payload)
    client.connect_async(host, port, 30)
    client.loop_start()
    is_terminal = out.isatty()
    try:
        while not stop.wait(refresh):
            above, below = around()
            if is_terminal:
                body = table.render_compact(width=shutil.get_terminal_size().columns)
            else:
                body = table.render()
            screen = "\n".join(part for part in (above, body, below) if part) + "\n"
            out.write(CLEAR_SCREEN + screen if is_terminal else screen + "\n")
            out.flush()
    finally:
        client.disconnect()
        client.loop_stop()
    return 0
