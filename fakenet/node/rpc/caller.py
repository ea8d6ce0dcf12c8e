"""Whether the client of the RPC being handled is still connected, and how long its calls may hold.

bitcoin-core runs `generatetoaddress 2147483647` to the end whoever waits for it; here a method
that loops checks `gone()` between steps. The HTTP endpoint sets the check for each request
(every request runs in its own task, so a context variable is per request); calls from inside the node (the sim backend, tests) have no client to lose.

A request body, one call or a batch of up to MAX_BATCH, is one request: `hold_for` gives its held
calls one limit together, so a batch of waits is held no longer than one of them may be.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from typing import Callable

_gone: ContextVar[Callable[[], bool]] = ContextVar("rpc_client_gone", default=lambda: False)
_hold_until: ContextVar[float | None] = ContextVar("rpc_hold_until", default=None)


def watch(gone: Callable[[], bool]) -> None:
    """Set, for the request being handled, how to tell that its client went away."""
    _gone.set(gone)


def gone() -> bool:
    return _gone.get()()


def request_begins() -> None:
    """A request body (one call or a batch) is about to run: its held calls share one limit (hold_for)."""
    _hold_until.set(None)


def hold_for(seconds: float, most: float) -> float:
    """How long a call of this request may hold: `seconds`, but no more than what is left of `most`
    seconds counted from the request's first held call."""
    now = asyncio.get_running_loop().time()
    until = _hold_until.get()
    if until is None:
        until = now + most
        _hold_until.set(until)
    return max(0.0, min(seconds, until - now))
