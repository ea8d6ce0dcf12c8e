"""One rich Console for fakenet's output: as wide as the terminal on a terminal, and never wrapped
when piped (rich assumes 80 columns there, which breaks long lines — paths, replay commands — that
scripts and tests read back); COLUMNS, when set, wins either way."""

from __future__ import annotations

import os
import sys

from rich.console import Console

PIPED_WIDTH = 10_000  # a line is a line: wide enough that nothing a run prints is cut in two


def console(**options) -> Console:
    piped = not sys.stdout.isatty() and not os.environ.get("COLUMNS")
    return Console(width=PIPED_WIDTH if piped else None, **options)
