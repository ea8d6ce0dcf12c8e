"""The pin tracker: carries out the plan on this node's stream service and knows each item's local status.

It remembers which pins it made (`owned`), so that it never unpins a stream an operator or
application pinned on this node by itself. A failed pin is kept as `pin_error` and retried
after `retry_after` seconds (ipfs-cluster's pin_recover_interval) or at once by `recover`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from fakenet.node import clock as node_clock
from fakenet.node.errors import NodeError
from fakenet.node import logs
from fakenet.node.cluster import blocks, items
from fakenet.node.cluster.report import PIN_ERROR, PINNED, PINNING, UNPINNED, Report
from fakenet.node.streams import StreamID

CONCURRENT_PINS = 10  # ipfs-cluster's default: a node cut off alone is allocated everything at once


@dataclass(frozen=True)
class Failure:
    message: str
    at: float  # monotonic time of the failed attempt


class Tracker:
    def __init__(self, streams, owned: set[str], retry_after: float, on_change: Callable[[], None],
                 clock: Callable[[], float] = node_clock.monotonic):
        self.streams, self.owned, self.retry_after = streams, owned, retry_after
        self.on_change, self.clock = on_change, clock
        self.pinning: dict[str, asyncio.Task] = {}
        self.failures: dict[str, Failure] = {}
        self._slots = asyncio.Semaphore(CONCURRENT_PINS)
        self._log = logs.get()

    # -- status --------------------------------------------------------------------------------

    def pinned(self) -> set[str]:
        """Pinned items by pinset key: stream ids, and block CIDs in both spellings a key may have."""
        streams = {stream_id.encode() for stream_id in self.streams.pins.list()}
        return streams | {text for cid in self.streams.pins.pinned_blocks()
                          for text in _spellings(cid, cid.version, cid.base.name)}

    def busy(self) -> set[str]:
        return set(self.pinning) | set(self.failures)

    def status(self, stream_id: str, pinned: set[str]) -> str:
        if stream_id in self.pinning:
            return PINNING
        if stream_id in self.failures:
            return PIN_ERROR
        return PINNED if stream_id in pinned else UNPINNED

    def report(self, allocated_here: list[str], pinned: set[str]) -> Report:
        statuses = {stream_id: self.status(stream_id, pinned) for stream_id in allocated_here}
        errors = {s: self.failures[s].message for s, status in statuses.items() if status == PIN_ERROR}
        return Report(statuses, errors)

    # -- acting --------------------------------------------------------------------------------

    def pin(self, stream_id: str, spawn: Callable) -> None:
        self.pinning[stream_id] = spawn(self._pin(stream_id))

    async def _pin(self, stream_id: str) -> None:
        started = self.clock()
        # Owned before the pin exists, and saved: a crash in between must not leave a pin that the
        # cluster made but would treat as an operator's (and so never release).
        self.owned.add(stream_id)
        self.on_change()
        try:
            async with self._slots:  # queued ones count as pinning too (ipfs-cluster's pin_queued)
                await self._pin_item(stream_id)
        except (NodeError, ValueError) as exc:
            self._failed(stream_id, str(exc))
        except Exception as exc:  # a bug in one pin must surface as its pin_error, not stop the tracker
            self._log.error("cluster_pin_crashed", stream=stream_id, exc_info=exc)
            self._failed(stream_id, f"internal error: {exc!r}")
        else:
            self._log.info("cluster_pinned", stream=stream_id, ms=int((self.clock() - started) * 1000))
        finally:
            self.pinning.pop(stream_id, None)
            self.on_change()

    async def _pin_item(self, key: str) -> None:
        cid = items.block_cid(key)
        if cid is None:
            await self.streams.pin(StreamID.parse(key))
        else:
            await blocks.pin(self.streams.pins, self.streams.network, cid, self.streams.sync_timeout)

    def _unpin_item(self, key: str) -> bool:
        cid = items.block_cid(key)
        return self.streams.unpin(StreamID.parse(key)) if cid is None else blocks.unpin(self.streams.pins, cid)

    def _failed(self, stream_id: str, message: str) -> None:
        self.owned.discard(stream_id)
        self.failures[stream_id] = Failure(message, self.clock())
        self._log.warning("cluster_pin_failed", stream=stream_id, error=message)

    def release(self, stream_id: str, pinned: set[str]) -> None:
        """Stop holding an item for the cluster: unpin it if it is still pinned, forget it was ours."""
        self.owned.discard(stream_id)
        self.failures.pop(stream_id, None)
        if stream_id in pinned and self._unpin_item(stream_id):
            self._log.info("cluster_unpinned", stream=stream_id)
        self.on_change()

    # -- retries -------------------------------------------------------------------------------

    def expire_failures(self) -> None:
        """Forget failures older than `retry_after`, so that the next plan tries those pins again."""
        now = self.clock()
        for stream_id in [s for s, f in self.failures.items() if now - f.at >= self.retry_after]:
            del self.failures[stream_id]

    def recover(self, stream_id: str | None = None) -> list[str]:
        """Forget failures now (of one item, or all); return the ids that will be retried."""
        chosen = [s for s in self.failures if stream_id in (None, s)]
        for s in chosen:
            del self.failures[s]
        return chosen


# The reconciler asks for every pinned block's spellings on each pass, and multiformats takes ~0.5 ms
# to spell one CID: under the cluster fuzz run the node spent most of its CPU here (7.6 of 9 s).
# A CID's text never changes; the key holds version and base too, which CID equality ignores.
@lru_cache(maxsize=1 << 16)
def _spellings(cid, version: int, base: str) -> tuple[str, ...]:
    """A stored block's CIDv1 text, and its CIDv0 text when it has one (dag-pb over sha2-256)."""
    if cid.codec.name == "dag-pb" and cid.hashfun.name == "sha2-256":
        return str(cid), str(cid.set(version=0, base="base58btc"))
    return (str(cid),)
