"""What happened to a network and when: faults applied and undone, expectations met, recoveries.

One Timeline per Network owns the list; faults and expectations add to it through `record`.
"""

from __future__ import annotations

from dataclasses import dataclass

from fakenet.harness import clock


@dataclass(frozen=True)
class Event:
    at: float  # seconds since the network started
    kind: str  # "apply", "undo", "expect", "recovered"
    what: str
    took: float = 0.0


class Timeline:
    def __init__(self):
        self.events: list[Event] = []
        self._started = clock.monotonic()

    def restart_clock(self) -> None:
        """Offsets count from when the network is up, not from when it began starting."""
        self._started = clock.monotonic()

    def now(self) -> float:
        return clock.monotonic() - self._started

    def record(self, kind: str, what: str, took: float = 0.0) -> Event:
        event = Event(round(self.now(), 3), kind, what, round(took, 3))
        self.events.append(event)
        return event

    def __iter__(self):
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)
