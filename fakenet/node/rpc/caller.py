"""Whether the client of the RPC being handled is still connected, and how long its calls may hold.

bitcoin-core runs `generatetoaddress 2147483647` to the end whoever waits for it; here a method
that loops checks `gone()` between steps, and a call that holds its answer until something
happens (`waitforconnections`, a long poll) waits through `unless_gone`, which ends the wait when the client
hangs up: the port's caps count connections, so a held call that outlived its client (connect,
ask, hang up, again) was a task no cap bounded. The HTTP endpoint sets the check for each request
(every request runs in its own task, so a context variable is per request); calls from inside
the node (the sim backend, tests) have no client to lose.

A request body, one call or a batch of up to MAX_BATCH, is one request: `hold_for` gives its held
calls one limit together, so a batch of waits is held no longer than one of them may be.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from typing import Awaitable, Callable, TypeVar

T = TypeVar("T")

_gone: ContextVar[Callable[[], bool]] = ContextVar("rpc_client_gone", default=lambda: False)
_hold_until: ContextVar[float | None] = ContextVar("rpc_hold_until", default=None)


def watch(gone: Callable[[], bool]) -> None:
    """Set, for the request being handled, how to tell that its client went away. An HTTP server's
    check may also have `wait()`, a coroutine that returns once the client has gone (h11_server.Hangup)."""
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


async def unless_gone(wait: Awaitable[T]) -> T | None:
    """`wait`'s result, or None (`wait` cancelled) as soon as the client has gone."""
    hangup = getattr(_gone.get(), "wait", None)
    if hangup is None:
        return await wait
    if gone():  # the rest of a batch whose client has gone: no two tasks per call for nobody
        if asyncio.iscoroutine(wait):
            wait.close()  # never to run ("was never awaited" otherwise)
        return None
    held, lost = asyncio.ensure_future(wait), asyncio.ensure_future(hangup())
    try:
        await asyncio.wait((held, lost), return_when=asyncio.FIRST_COMPLETED)
    finally:
        lost.cancel()
        if not held.done():
            held.cancel()
    return held.result() if held.done() and not held.cancelled() else None
