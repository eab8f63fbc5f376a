"""A progress display on stderr: numbered steps, and a bar for long copies when stderr is a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

BAR_WIDTH = 30
REDRAW_SECONDS = 0.1


class Progress:
    def __init__(self, total_steps: int, stream: TextIO | None = None) -> None:
        self.total_steps = total_steps
        self.stream = stream or sys.stderr
        self.current_step = 0
        self.is_terminal = self.stream.isatty()
        self.last_draw = 0.0
        self.is_bar_shown = False

    def step(self, title: str) -> None:
        self.current_step += 1
        self._end_bar()
        self.stream.write(f"[{self.current_step}/{self.total_steps}] {title}\n")
        self.stream.flush()

    def advance(self, done: int, total: int | None) -> None:
        """Redraw the bar (terminals only, at most ten times a second)."""
        now = time.monotonic()
        if not self.is_terminal or (now - self.last_draw < REDRAW_SECONDS and done != total):
            return
        self.last_draw = now
        if total:
            filled = BAR_WIDTH * done // total
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            text = f"\r    [{bar}] {100 * done // total:3d}%  {done / 1e6:,.0f} / {total / 1e6:,.0f} MB"
        else:
            text = f"\r    {done / 1e6:,.0f} MB"
        self.stream.write(text)
        self.stream.flush()
        self.is_bar_shown = True

    def _end_bar(self) -> None:
        if self.is_bar_shown:
            self.stream.write("\n")
            self.is_bar_shown = False

    def finish(self) -> None:
        self._end_bar()
