"""Which connection a full port makes room with: the oldest one still waiting for its peer.

A cap that refuses the newcomer lets anyone who opens `cap` sockets and sends nothing (or half
a request, or half a handshake) lock everyone else out; that is what 300 half-sent connections
did to RPC and 7007, and 200 idle sockets to the swarm's handshake slots. Here a newcomer is
refused only when every open connection is doing work. Otherwise it evicts one that is not
(idle, half-open: its request or handshake has not fully arrived), chosen so that a flood
evicts itself:

- a source address at its own cap (`per_source`) evicts its own oldest waiting connection;
- a full port evicts the oldest waiting connection of the source holding the most (of the next
  one if all of that source's connections are busy).

`per_source` is the port's cap less a reserve (a quarter by default) that one source can never
take: its busy connections, which cannot be evicted, leave that headroom to the others. In
tests every client connects from 127.0.0.1, the flood and the honest client alike; the honest
request still gets in, because its connection is the newest and a flood evicts its oldest, and
a request that is answered in milliseconds finishes long before it becomes the oldest.
"""

from __future__ import annotations

from collections import Counter
from typing import Callable, Generic, Hashable, NamedTuple, TypeVar

C = TypeVar("C", bound=Hashable)


class Limits(NamedTuple):
    """How many connections a port holds open, and how many of them one source may take."""

    max_open: int
    per_source: int

    @classmethod
    def with_reserve(cls, max_open: int, reserve_fraction: float = 0.25) -> Limits:
        return cls(max_open, max(1, max_open - max(1, int(max_open * reserve_fraction))))


class Verdict(NamedTuple, Generic[C]):
    """Whether a new connection is admitted, and which one to close to make room for it."""

    admitted: bool
    evict: C | None = None  # the connection to close to make room (admitted only)
    reason: str = ""  # why it was refused or whom it evicted


class Admission(Generic[C]):
    """The open connections of one port, oldest first, by source; `waiting(conn)` says whether
    a connection may be evicted (no request or handshake under way that has fully arrived)."""

    def __init__(self, limits: Limits, waiting: Callable[[C], bool]):
        self.limits, self._waiting = limits, waiting
        self._open: dict[C, str] = {}  # insertion order is age
        self._per_source: Counter[str] = Counter()

    def __len__(self) -> int:
        return len(self._open)

    def admit(self, conn: C, source: str) -> Verdict[C]:
        """Decide on a newcomer; when admitted it is tracked (and the victim, if any, no longer is)."""
        verdict = self._decide(source)
        if verdict.admitted:
            if verdict.evict is not None:
                self.release(verdict.evict)
            self._open[conn] = source
            self._per_source[source] += 1
        return verdict

    def release(self, conn: C) -> None:
        source = self._open.pop(conn, None)
        if source is not None:
            self._per_source[source] -= 1
            if not self._per_source[source]:
                del self._per_source[source]

    def _decide(self, source: str) -> Verdict[C]:
        if self._per_source[source] >= self.limits.per_source:
            return self._make_room(source, f"{source} holds {self.limits.per_source} connections, its cap")
        if len(self._open) >= self.limits.max_open:
            heaviest_first = [src for src, _ in self._per_source.most_common()]
            return self._make_room(heaviest_first, f"the port holds {self.limits.max_open} connections, its cap")
        return Verdict(True)

    def _make_room(self, sources: str | list[str], why: str) -> Verdict[C]:
        for source in [sources] if isinstance(sources, str) else sources:
            victim = self._oldest_waiting(source)
            if victim is not None:
                return Verdict(True, victim, f"{why}: evicted the oldest idle or half-open connection of {source}")
        return Verdict(False, reason=f"{why}, and none of them is waiting to be evicted")

    def _oldest_waiting(self, source: str) -> C | None:
        return next((conn for conn, src in self._open.items() if src == source and self._waiting(conn)), None)
