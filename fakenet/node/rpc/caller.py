"""Whether the client of the RPC being handled is still connected: a long method stops when not.

bitcoin-core runs `generatetoaddress 2147483647` to the end whoever waits for it; here a method
that loops checks `gone()` between steps. The HTTP endpoint sets the check for each request
(every aiohttp request runs in its own task, so a context variable is per request); calls from
inside the node (the sim backend, tests) have no client to lose.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Callable

_gone: ContextVar[Callable[[], bool]] = ContextVar("rpc_client_gone", default=lambda: False)


def watch(gone: Callable[[], bool]) -> None:
    """Set, for the request being handled, how to tell that its client went away."""
    _gone.set(gone)


def gone() -> bool:
    return _gone.get()()
