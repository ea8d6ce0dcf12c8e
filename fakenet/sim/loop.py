"""An asyncio event loop on virtual time: when no callback is ready, time jumps to the next timer.

asyncio's loop asks its selector to wait `timeout` seconds for I/O when the nearest timer is that
far away. Here the selector only polls (nothing in the simulation does real I/O) and then moves
the loop's clock forward by `timeout` instead of sleeping, so the timer is due at once. Asyncio
timers (sleep, wait_for, call_later) therefore cost no wall time, and a run's order of events
depends on nothing but the program.
"""

from __future__ import annotations

import asyncio
import heapq
import os
import selectors

# Rounds of the loop (each runs every callback ready then) network time may stand still before the
# run is called a livelock. Bursts at one instant are normal (a thousand nodes meshing: a chain of
# messages a few rounds per hop), a callback chain that reschedules itself at the same instant
# forever is not, and without this a run would hang silently. Counted in rounds, not wall seconds,
# so the verdict is the seed's alone: a starved process reaches the same round at the same instant.
STALL_LIMIT = int(os.environ.get("FAKENET_SIM_STALL_ROUNDS", "1000000"))


class Deadlock(RuntimeError):
    """Every task waits and no timer is set: nothing can ever happen again."""


class Livelock(RuntimeError):
    """Callbacks keep running at one instant of network time and never let it move on."""


class _JumpingSelector(selectors.BaseSelector):
    def __init__(self, clock: "VirtualLoop"):
        self._real = selectors.DefaultSelector()  # the loop's self-pipe lives here
        self._clock = clock
        self._instant, self._rounds = None, 0
        self.busiest = 0  # the most rounds any instant took so far (how close a run came to the limit)

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
            self._check_stall()
            return ready
        if timeout is None:
            raise Deadlock("every task of the simulation waits and no timer is set")
        self._clock.advance(timeout)
        return []

    def _check_stall(self) -> None:
        now = self._clock.time()
        if now != self._instant:
            self._instant, self._rounds = now, 0
            return
        self._rounds += 1
        self.busiest = max(self.busiest, self._rounds)
        if self._rounds > STALL_LIMIT:
            busy = sorted({repr(handle)[:160] for handle in list(self._clock._ready)[:5]})
            raise Livelock(f"network time stood still at t={now:.6f} for {STALL_LIMIT:,} rounds of the loop: callbacks "
                           f"keep rescheduling at the same instant (a wait shorter than the clock's resolution "
                           f"re-timed in a loop?); ready now: {'; '.join(busy) or 'none'}")


class VirtualLoop(asyncio.SelectorEventLoop):
    """`time()` is network time: seconds since the simulation began."""

    def __init__(self):
        self._now = 0.0
        super().__init__(_JumpingSelector(self))

    def time(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds

    # Scheduling in one call: BaseEventLoop's call_soon is three Python calls and call_later two
    # more than call_at, and a thousand nodes schedule millions of callbacks (two or three per frame).
    # Outside debug mode (and on a loop still open) these are what those do, in the same order.
    def call_soon(self, callback, *args, context=None):
        if self._debug or self._closed:
            return super().call_soon(callback, *args, context=context)
        handle = asyncio.Handle(callback, args, self, context)
        self._ready.append(handle)
        return handle

    def call_later(self, delay, callback, *args, context=None):
        if delay is None or self._debug or self._closed:
            return super().call_later(delay, callback, *args, context=context)
        return self._schedule(self._now + delay, callback, args, context)

    def call_at(self, when, callback, *args, context=None):
        if when is None or self._debug or self._closed:
            return super().call_at(when, callback, *args, context=context)
        return self._schedule(when, callback, args, context)

    def _schedule(self, when: float, callback, args: tuple, context) -> asyncio.TimerHandle:
        timer = asyncio.TimerHandle(when, callback, args, self, context)
        heapq.heappush(self._scheduled, timer)
        timer._scheduled = True
        return timer
