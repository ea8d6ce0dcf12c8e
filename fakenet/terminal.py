"""One rich Console for fakenet's output: as wide as the terminal on a terminal, and never wrapped
when piped. Rich assumes 80 columns there (or whatever COLUMNS says: pytest-xdist exports
COLUMNS=80 to its workers), which cuts long lines — paths, replay commands — that scripts and
tests read back."""

from __future__ import annotations

import sys

from rich.console import Console

PIPED_WIDTH = 10_000  # a line is a line: wide enough that nothing a run prints is cut in two
PIPED_HEIGHT = 25


def console(**options) -> Console:
    # Both sizes: with only a width, rich still answers 80 columns where TERM is "dumb" on a terminal.
    size = {} if sys.stdout.isatty() else {"width": PIPED_WIDTH, "height": PIPED_HEIGHT}
    return Console(**size, **options)
