"""Log lines a stranger can cause, within a budget: a flood of refusals writes a few lines, not one each.
Also lines that come one per item of a peer's or a client's bulk work (a stream synced from a peer, a
cache eviction): two such lines an event were ~45 % of a docker node's CPU taking in Recon events.

A token bucket per event name (event names are the code's constants, so the buckets are bounded):
`burst` lines at once, then `rate` per second. Lines held back are counted, and the next line of
that event that is written says how many (`suppressed=N`), so nothing is hidden, only summed.
"""

from __future__ import annotations

from typing import Callable

from fakenet.node import clock, logs


class LogBudget:
    def __init__(self, rate: float = 1.0, burst: int = 10, now: Callable[[], float] = clock.monotonic):
        self.rate, self.burst, self._now = rate, burst, now
        self._buckets: dict[str, list[float]] = {}  # event -> [tokens, last refill]
        self.suppressed: dict[str, int] = {}
        self._log = logs.get()

    def allow(self, event: str) -> bool:
        now = self._now()
        tokens, last = self._buckets.get(event, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        allowed = tokens >= 1.0
        self._buckets[event] = [tokens - 1.0 if allowed else tokens, now]
        if not allowed:
            self.suppressed[event] = self.suppressed.get(event, 0) + 1
        return allowed

    def warning(self, event: str, **fields) -> None:
        self._say(self._log.warning, event, fields)

    def info(self, event: str, **fields) -> None:
        self._say(self._log.info, event, fields)

    def _say(self, write: Callable[..., None], event: str, fields: dict) -> None:
        if self.allow(event):
            held_back = self.suppressed.pop(event, 0)
            write(event, **fields, **({"suppressed": held_back} if held_back else {}))
