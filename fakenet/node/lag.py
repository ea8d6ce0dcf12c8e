"""Measured lag: how much later than the link filter explains this node hears its neighbours now.

A node on an overloaded machine (a busy CPU, a paused or starved neighbour) hears from its
neighbours later than their link delays alone account for: its own event loop wakes late, and a
neighbour's frames leave late. An echo search (fakenet.node.echo) would take that for silence and
give up on an honest link. The node applies injected link delays itself (setlinkfilter), so it
can tell the two apart and measure the *residual*: what it observes minus what was injected.

- Its event loop's lateness: a timer due at t that fires at t + x is x of lag (the keepalive
  and the search ticker each measure theirs).
- A link's round trip: a pong comes back `rtt` after its ping left; each end stamps its frames
  with the delay its own filter adds on that link, so `rtt - (both stamps)` is lag, not fault.

A neighbour is then granted that much more silence: the largest lag either measure saw in the
last WINDOW seconds. A third measure covers a stall as it happens, which the first two see only
once it is over (a paused neighbour answers no ping until it runs again):

- A link's stall: a connection hears a frame from an honest peer about every keepalive interval
  K (its pings and its pongs to ours; both ends start their keepalives together, so gaps of K
  plus a late timer are normal), so a gap longer than STALL x K is a stall of the peer, of the
  link or of this node's own loop, and counts whole (StallClock), while it lasts and after.
  A search waits on a neighbour as long as the stalls since it last heard from it, on top of
  the lag: its silence clock stops while the connection hears nothing at all, and runs while
  the connection talks but the search does not (a lost frame, a neighbour that forgot it).

Together at most EXTRA_CAP x the sync timeout T (so a search waits at most (1 + EXTRA_CAP) x T on
one neighbour, whatever a hostile peer does; a connection that stays silent is closed by the peer
timeout, and a search gives up on a closed link at once). Never on a link whose injected round trip is T/2 or more:
there the oracle (harness/model.py `Timing`) says the link may be cut (>= T/2) or is cut (>= T),
and an injected delay must cut exactly as it says. Below T/2 the model says "never cut", which a
longer wait only makes truer.

The peer timeout (a connection silent that long is closed) stretches the same way, by the same
lag and cap, on links whose injected delay the model calls steady (`peer_grace`); not by the
stall, which is the very silence the peer timeout judges (a paused node must still drop out).

A peer's stamp is evidence, not truth: a peer that under-states its delay gets at most
EXTRA_CAP x T more patience, and one that over-states it only loses the extension.
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from typing import Callable

from fakenet.node import clock

WINDOW = 30.0  # seconds a measured lag keeps extending the silence granted (load comes in bursts)
EXTRA_CAP = 3.0  # the extension is at most this many sync timeouts
MAX_SAMPLES = 256  # lags kept per meter: samples arrive about once a second, but never unbounded
MAX_PEERS = 1024  # peers whose lag is remembered across reconnects (the inbound cap is 128)
MAX_STAMP = 3600.0  # a stamp above this is a hang, not a delay (setlinkfilter allows one minute)
# A gap between frames longer than this many keepalive intervals is a stall: K itself, plus half a K
# for timers that fire late (a stall shorter than that is caught by the lag the pings measure).
STALL = 1.5


class LagMeter:
    """The largest lag recorded in the last `window` seconds (a monotonic queue: each kept sample
    is larger than every later one, so the peak is the oldest sample still in the window)."""

    def __init__(self, window: float = WINDOW, now: Callable[[], float] = clock.monotonic):
        self._window, self._now = window, now
        self._samples: deque[tuple[float, float]] = deque()  # (when, lag), lags strictly decreasing

    def record(self, lag: float) -> None:
        if not math.isfinite(lag):
            return
        if not lag > 0.0:  # max(0.0, lag), without the call (every pong and keepalive records one)
            lag = 0.0
        samples = self._samples
        while samples and samples[-1][1] <= lag:
            samples.pop()
        samples.append((self._now(), lag))
        if len(samples) > MAX_SAMPLES:
            samples.popleft()

    def late_by(self, due: float) -> None:
        """A timer due at `due` (on this meter's clock) has just fired."""
        self.record(self._now() - due)

    def peak(self) -> float:
        samples = self._samples
        if not samples:
            return 0.0
        horizon = self._now() - self._window
        while samples and samples[0][0] < horizon:
            samples.popleft()
        return samples[0][1] if samples else 0.0


class StallClock:
    """Seconds a link has spent stalled, a clock that moves only while its connection hears
    nothing for longer than STALL x `expected` (the keepalive interval: an honest idle peer is
    heard about that often), and then counts the whole gap. A reader subtracts two readings to
    learn how long the link stalled between them."""

    __slots__ = ("expected", "_now", "_last", "_stalled")  # one per connection: a simulation holds tens of thousands

    def __init__(self, expected: float, now: Callable[[], float] = clock.monotonic):
        self.expected, self._now = expected, now
        self._last = now()  # when the connection last heard a frame
        self._stalled = 0.0  # whole gaps longer than `expected`, up to `_last`

    def start(self, expected: float) -> None:
        """The reader starts: from now on a frame is due at least every `expected` seconds."""
        self.expected, self._last = expected, self._now()

    def heard(self) -> None:
        """A frame arrived (`reading`'s sum, on one read of the clock: this runs on every frame)."""
        now = self._now()
        gap = now - self._last
        self._stalled, self._last = self._stalled + (gap if gap > STALL * self.expected else 0.0), now

    def reading(self) -> float:
        gap = self._now() - self._last
        return self._stalled + (gap if gap > STALL * self.expected else 0.0)


class LagMeters:
    """One LagMeter per peer, kept across its reconnects: a pause that closed a connection must
    still count when the peer comes back, or every pause would start from nothing."""

    def __init__(self, limit: int = MAX_PEERS):
        self._meters: OrderedDict[str, LagMeter] = OrderedDict()
        self._limit = limit

    def of(self, peer_id: str) -> LagMeter:
        meter = self._meters.pop(peer_id, None) or LagMeter()
        self._meters[peer_id] = meter
        while len(self._meters) > self._limit:
            self._meters.popitem(last=False)
        return meter


def grace(silence: float, injected_round_trip: float, *lags: float, stalled: float = 0.0) -> float:
    """Seconds of silence granted on a link beyond `silence`, given the link's injected round trip,
    the lags measured (the largest counts) and the seconds the link `stalled` during the wait."""
    if injected_round_trip >= silence / 2:
        return 0.0
    return min(EXTRA_CAP * silence, stalled + max(lags, default=0.0))


def peer_grace(peer_timeout: float, injected_delay: float, keepalive: float, *lags: float) -> float:
    """Seconds of silence a connection is granted beyond `peer_timeout` before it is closed. The
    oracle keeps a link whose injected one-way delay d has d + keepalive < P and drops one with
    d >= P; only the first kind is granted the lag, so a delay the model calls dead still closes."""
    if injected_delay + keepalive >= peer_timeout:
        return 0.0
    return min(EXTRA_CAP * peer_timeout, max(lags, default=0.0))


def stamp(delay: float) -> float:
    """The delay this end's filter adds, as written into a frame (finite, so JSON carries it)."""
    return min(delay, MAX_STAMP)


def read_stamp(message: dict) -> float:
    """A peer's stamp, or 0 when it is missing or not a sane number (an old or hostile peer)."""
    value = message.get("d", 0.0)
    if type(value) is float and 0.0 <= value <= MAX_STAMP:  # what every honest peer sends: no more to check
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_STAMP:
        return 0.0
    return float(value)
