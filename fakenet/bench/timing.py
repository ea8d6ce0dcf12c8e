"""Wall-clock timing of one call (monotonic, high resolution)."""

from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")


def timed(function: Callable[[], T]) -> tuple[T, float]:
    """(what `function()` returned, the seconds it took)."""
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started


def seconds(function: Callable[[], object]) -> float:
    return timed(function)[1]
