"""The failure detector: a peer is live while its heartbeats keep arriving, down after `ttl` of silence.

Heartbeats are flooded over the swarm, so a node judges every peer it can reach through
any path, not only its direct connections. The clock is injected (monotonic seconds) so the
logic is testable without waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from fakenet.node import clock as node_clock
from fakenet.node.cluster.report import Report


@dataclass(frozen=True)
class Beat:
    """One heartbeat as its sender wrote it."""

    peer_id: str
    name: str
    announce: str
    boot: int  # the sender's start time in ns: orders heartbeats across its restarts
    seq: int
    sent_at: float  # the sender's wall clock, for status timestamps
    digest: str  # the sender's pinset digest, for anti-entropy
    report: Report

    def order(self) -> tuple[int, int]:
        return self.boot, self.seq


@dataclass(frozen=True)
class Heard:
    beat: Beat
    at: float  # our monotonic clock when it arrived


class FailureDetector:
    def __init__(self, ttl: float, clock: Callable[[], float] = node_clock.monotonic):
        self.ttl, self.clock = ttl, clock
        self._heard: dict[str, Heard] = {}

    def beat(self, beat: Beat) -> bool:
        """Record a heartbeat; False (and ignored) when an older one overtook a newer on another path."""
        last = self._heard.get(beat.peer_id)
        if last is not None and last.beat.order() >= beat.order():
            return False
        self._heard[beat.peer_id] = Heard(beat, self.clock())
        return True

    def silence(self, peer_id: str) -> float:
        """Seconds since the peer's last heartbeat (infinite for a peer never heard)."""
        heard = self._heard.get(peer_id)
        return float("inf") if heard is None else self.clock() - heard.at

    def is_live(self, peer_id: str) -> bool:
        return self.silence(peer_id) <= self.ttl

    def live(self) -> list[str]:
        return sorted(peer for peer in self._heard if self.is_live(peer))

    def down(self) -> list[str]:
        return sorted(peer for peer in self._heard if not self.is_live(peer))

    def known(self) -> list[str]:
        return sorted(self._heard)

    def last(self, peer_id: str) -> Beat | None:
        heard = self._heard.get(peer_id)
        return heard.beat if heard else None
