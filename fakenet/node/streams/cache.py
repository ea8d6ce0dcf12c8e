"""The in-memory stream cache: the only home of unpinned stream data, as on a Ceramic node.

A least-recently-used map of stream id → (state, commit blocks). Reading a stream through
`get` or writing it with `put` makes it the most recent; when the cache is over its limit the
least recently used streams go, and the caller is told which, so the harness's model of who
holds what can follow. Nothing survives a restart.
"""

from __future__ import annotations

from collections import OrderedDict
from itertools import islice
from typing import NamedTuple

from multiformats import CID

from fakenet.node.streams.state import StreamState
from fakenet.node.streams.streamid import StreamID


class CachedStream(NamedTuple):
    state: StreamState
    blocks: dict[CID, bytes]


class StreamCache:
    def __init__(self, limit: int = 500):
        if limit < 1:
            raise ValueError(f"cache limit must be at least 1, got {limit}")
        self._limit = limit
        self._entries: OrderedDict[StreamID, CachedStream] = OrderedDict()  # least recent first

    @property
    def limit(self) -> int:
        return self._limit

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, stream_id: StreamID) -> bool:
        return stream_id in self._entries

    def get(self, stream_id: StreamID) -> CachedStream | None:
        entry = self._entries.get(stream_id)
        if entry is not None:
            self._entries.move_to_end(stream_id)
        return entry

    def peek(self, stream_id: StreamID) -> CachedStream | None:
        """Look without counting as a use, e.g. for a status page."""
        return self._entries.get(stream_id)

    def put(self, state: StreamState, blocks: dict[CID, bytes]) -> list[StreamID]:
        """Store (or replace) a stream as the most recent; return the ids evicted to make room."""
        self._entries[state.stream_id] = CachedStream(state, dict(blocks))
        self._entries.move_to_end(state.stream_id)
        return self.evict(len(self._entries) - self._limit) if len(self._entries) > self._limit else []

    def entries(self) -> list[CachedStream]:
        return list(self._entries.values())

    def replace(self, state: StreamState, blocks: dict[CID, bytes]) -> bool:
        """Swap in a newer state of a cached stream without touching its recency: a gossiped
        update or an anchor is not a use, and the harness predicts eviction order from uses."""
        if state.stream_id not in self._entries:
            return False
        self._entries[state.stream_id] = CachedStream(state, dict(blocks))
        return True

    def evict(self, count: int | None = None, ids: list[StreamID] | None = None) -> list[StreamID]:
        """Drop the `count` least recently used streams, or exactly `ids`, or (neither) all."""
        if count is not None and ids is not None:
            raise ValueError("evict takes a count or a list of ids, not both")
        if ids is None:
            # Only the `count` oldest are visited: walking an OrderedDict hashes each key it passes,
            # and listing all 500 on every put past the limit was most of a full node's intake.
            ids = list(islice(self._entries, count))
        evicted = [stream_id for stream_id in dict.fromkeys(ids) if stream_id in self._entries]
        for stream_id in evicted:
            del self._entries[stream_id]
        return evicted

    def lru_order(self) -> list[StreamID]:
        """Stream ids, least recently used first: the order evictions take them."""
        return list(self._entries)
