"""An asyncio event loop on virtual time: when no callback is ready, time jumps to the next timer.

asyncio's loop asks its selector to wait `timeout` seconds for I/O when the nearest timer is that
far away. Here the selector only polls (nothing in the simulation does real I/O) and then moves
the loop's clock forward by `timeout` instead of sleeping, so the timer is due at once. Asyncio
timers (sleep, wait_for, call_later) therefore cost no wall time, and a run's order of events
depends on nothing but the program.
"""

from __future__ import annotations

import asyncio
import selectors


class Deadlock(RuntimeError):
    """Every task waits and no timer is set: nothing can ever happen again."""


class _JumpingSelector(selectors.BaseSelector):
    def __init__(self, clock: "VirtualLoop"):
        self._real = selectors.DefaultSelector()  # the loop's self-pipe lives here
        self._clock = clock

    def register(self, fileobj, events, data=None):
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj):
        return self._real.unregister(fileobj)

    def modify(self, fileobj, events, data=None):
        return self._real.modify(fileobj, events, data)

    def get_map(self):
        return self._real.get_map()

    def close(self) -> None:
        self._real.close()

    def select(self, timeout=None):
        ready = self._real.select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:
            raise Deadlock("every task of the simulation waits and no timer is set")
        self._clock.advance(timeout)
        return []


class VirtualLoop(asyncio.SelectorEventLoop):
    """`time()` is network time: seconds since the simulation began."""

    def __init__(self):
        self._now = 0.0
        super().__init__(_JumpingSelector(self))

    def time(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds
