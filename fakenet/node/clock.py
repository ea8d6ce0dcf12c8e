"""The node's one clock: every reading of wall or monotonic time in the node goes through here.

A real node reads the system clocks. The sim backend runs many nodes in one event loop whose
time is virtual; it installs that loop's clock here so timestamps, ping times and link delays
follow network time, and a seeded run never reads the wall clock. Asyncio timers (sleep,
wait_for, call_later) need nothing: they already ask the running loop.
"""

from __future__ import annotations

import time
from typing import Callable

_monotonic: Callable[[], float] = time.monotonic
_wall: Callable[[], float] = time.time


def monotonic() -> float:
    return _monotonic()


def wall() -> float:
    """Seconds since the epoch (block timestamps, connection times, log lines)."""
    return _wall()


def install(monotonic_source: Callable[[], float], wall_source: Callable[[], float]) -> None:
    global _monotonic, _wall
    _monotonic, _wall = monotonic_source, wall_source


def reset() -> None:
    install(time.monotonic, time.time)
