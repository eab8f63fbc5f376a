"""The progress display: numbered steps always, a redrawn bar only on a terminal."""

from __future__ import annotations

import io

from image.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_steps_are_numbered_and_pipes_get_no_bar() -> None:
    stream = io.StringIO()
    progress = Progress(total_steps=2, stream=stream)
    progress.step("Reading")
    progress.advance(50, 100)
    progress.step("Writing")
    progress.finish()
    assert stream.getvalue() == "[1/2] Reading\n[2/2] Writing\n"


def test_terminal_gets_a_bar_that_ends_before_the_next_step() -> None:
    stream = Terminal()
    progress = Progress(total_steps=1, stream=stream)
    progress.step("Writing")
    progress.advance(100, 100)
    progress.finish()
    text = stream.getvalue()
    assert "\r    [" + "#" * 30 + "] 100%" in text and text.endswith("\n")
