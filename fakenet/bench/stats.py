"""Summaries of repeated measurements: median with min and max, and latency percentiles."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class Summary:
    median: float
    low: float
    high: float
    runs: int


def summarise(samples: Sequence[float]) -> Summary:
    """Median, min and max of one figure's samples (one sample per run)."""
    if not samples:
        raise ValueError("a summary needs at least one sample")
    return Summary(statistics.median(samples), min(samples), max(samples), len(samples))


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0 < q < 100) by linear interpolation between the closest ranks."""
    if not values:
        raise ValueError("a percentile needs at least one value")
    if len(values) == 1:
        return float(values[0])
    cuts = statistics.quantiles(values, n=1000, method="inclusive")
    return cuts[round(q * 10) - 1]


def rate(count: int, seconds: float) -> float:
    """Operations per second; a span too short to time counts as no measurement."""
    if seconds <= 0:
        raise ValueError(f"cannot make a rate of {count} operations over {seconds} s")
    return count / seconds
