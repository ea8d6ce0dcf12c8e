"""Durations as people write them: 10, 10s, 500ms, 1.5m. One parser for scenario files (schema.duration)
and the Python API's `within=`/`timeout=` (Oracle), so `within="10s"` means in Python what it means in YAML."""

from __future__ import annotations

import re

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$")
WANTED = "a duration like 10s, 500ms or 2m"


def seconds(value) -> float:
    """10, 10s, 500ms, 1.5m → seconds; ValueError, saying what it wanted, for anything else."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    match = _DURATION.match(str(value)) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"expected {WANTED}, not {value!r}")
    number, unit = float(match.group(1)), match.group(2) or "s"
    return number * {"ms": 0.001, "s": 1.0, "m": 60.0}[unit]
