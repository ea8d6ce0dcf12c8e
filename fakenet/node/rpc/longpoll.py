"""BIP22 long polling: a template request naming the current `longpollid` waits for news.

As bitcoin-core: the request returns when the tip moves; after a minute it also returns if
the template's transactions changed, checking again every ten seconds; otherwise it holds for
as long as the client keeps the connection, and no longer (mining.py waits through
caller.unless_gone). The wait is an asyncio event, so a held request costs no thread and blocks
nothing else on the node.
"""

from __future__ import annotations

import asyncio
from typing import Callable

TX_CHECK_AFTER = 60.0  # bitcoin-core: the first look at transactions after a minute…
TX_CHECK_EVERY = 10.0  # …then every ten seconds


class TipWatch:
    """Wakes long-polling requests when the chain's tip changes (fed by Chain.on_tip_changed)."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self._loop = loop
        self._changed = asyncio.Event()

    def notify(self, *_ignored) -> None:
        # The chain may call from a worker thread: hand over to the loop that owns the event.
        self._loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()  # waiters hold the old one, already set

    async def hold(self, still_current: Callable[[], bool], transactions: Callable[[], object]) -> None:
        """Wait until `still_current()` is false, or the transactions differ after the first minute."""
        before, timeout = transactions(), TX_CHECK_AFTER
        while still_current():
            changed = self._changed
            try:
                await asyncio.wait_for(changed.wait(), timeout)
            except asyncio.TimeoutError:
                if transactions() != before:
                    return
                timeout = TX_CHECK_EVERY
