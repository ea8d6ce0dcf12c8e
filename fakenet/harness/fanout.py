"""Calls to many nodes at once: on threads for real nodes, in order on this thread on sim.

The simulated network runs in whichever thread waits on it, and must see the harness's calls in
the same order on every run (its loop and tenacity's per-thread state also stay on one thread).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, TypeVar

from fakenet.harness import clock, waits

T = TypeVar("T")
R = TypeVar("R")


def fan_out(function: Callable[[T], R], items: Iterable[T], workers: int) -> list[R]:
    items = list(items)
    if clock.is_virtual():
        return [function(item) for item in items]
    pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(items))))
    try:
        return list(pool.map(function, items))
    except KeyboardInterrupt:  # the workers' waits give up at their next poll, so cleanup starts now
        waits.ABANDONED.set()
        pool.shutdown(wait=True, cancel_futures=True)
        waits.ABANDONED.clear()
        raise
    finally:
        pool.shutdown(wait=True)
