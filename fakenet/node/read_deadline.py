"""A reader's patience, armed per frame without a timer per frame.

`asyncio.timeout(patience)` around each read schedules a timer and cancels it when the frame
comes: a heap push and a cancelled handle per frame (a simulation of 1,000 nodes reads ~230,000
frames to mesh and recover). Here the reader enters a `asyncio.timeout(None)` (no timer), once
for a read or once for all its reads, and moves a deadline, a float; one timer per connection
sleeps to the earliest deadline it may have to enforce, and when it fires either re-arms at the
current deadline (frames came meanwhile) or expires the read in progress through the guard, so
the read ends with TimeoutError exactly as before, at the same instant. Between reads nothing
expires: `done` withdraws an expiry that the read outran.
"""

from __future__ import annotations

import asyncio


class ReadDeadline:
    def __init__(self, loop: asyncio.AbstractEventLoop):
        self._loop = loop
        self._guard: asyncio.Timeout | None = None  # the read in progress (None between reads)
        self._when = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0  # when the timer fires (its when(), without the call: read every frame)
        self._expiring = False  # _fire set the guard off (the guard is ours alone: nothing else does)

    def reading(self, guard: asyncio.Timeout, when: float) -> None:
        """A read starts under `guard` (entered with no deadline of its own) and must end by `when`."""
        self._guard, self._when = guard, when
        if self._timer is not None:
            if self._timer_at <= when:
                return
            self._timer.cancel()  # patience shrank: fire earlier
        self._arm(when)

    def done(self) -> None:
        """The read ended: nothing to expire until the next one starts. A guard may span many
        reads (and what runs between them): an expiry set off for this read but not yet
        delivered is withdrawn, so it cannot cancel what runs next."""
        guard, self._guard = self._guard, None
        if self._expiring:
            self._expiring = False
            if guard is not None and not guard.expired():
                guard.reschedule(None)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _arm(self, when: float) -> None:
        self._timer, self._timer_at = self._loop.call_at(when, self._fire), when

    def _fire(self) -> None:
        self._timer = None
        if self._guard is None:
            return  # between reads: the next read arms the timer again
        now = self._loop.time()
        if now < self._when:
            self._arm(self._when)
        else:
            self._expiring = True
            self._guard.reschedule(now)  # the guard's own expiry: the read raises TimeoutError
