"""A work budget per peer: a token bucket of work units that refills at a steady rate.

go-libp2p's resource manager is the model (limits per peer, checked before the work); the bucket
is a few lines rather than a library because it must read the node's clock (fakenet.node.clock),
which the sim backend makes virtual, and no rate limiter on PyPI takes a clock to read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fakenet.node import clock


@dataclass
class Bucket:
    rate: float  # units per second
    burst: float  # units held at most
    level: float = field(default=-1.0)
    at: float = 0.0

    def take(self, units: float) -> bool:
        """Spend `units` if they are there; False (nothing spent) if the peer is over budget."""
        now = clock.monotonic()
        self.level = self.burst if self.level < 0 else min(self.burst, self.level + (now - self.at) * self.rate)
        self.at = now
        if units > self.level:
            return False
        self.level -= units
        return True


class Budgets:
    """One bucket per peer (by connection id), dropped when the connection goes."""

    def __init__(self, rate: float, burst: float):
        self.rate, self.burst = rate, burst
        self._buckets: dict[int, Bucket] = {}

    def take(self, peer: int, units: float) -> bool:
        bucket = self._buckets.get(peer)
        if bucket is None:  # not setdefault: that built a Bucket on every frame, to throw it away
            bucket = self._buckets[peer] = Bucket(self.rate, self.burst)
        return bucket.take(units)

    def forget(self, peer: int) -> None:
        self._buckets.pop(peer, None)
