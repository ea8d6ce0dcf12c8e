"""The in-memory stream cache: the only home of unpinned stream data, as on a Ceramic node.

A least-recently-used map of stream id → (state, commit blocks). Reading a stream through
`get` or writing it with `put` makes it the most recent; when the cache is over its limit the
least recently used streams go, and the caller is told which, so the harness's model of who
holds what can follow. Nothing survives a restart.

Over its limit means too many streams or too many bytes: a count alone let 150 one-megabyte creates
(each under the API's body limit) hold 336 MB. An entry's bytes are its commit blocks' lengths,
counted twice (the blocks, and the content and log decoded from them; ~2.2 MB of RSS was measured for a
1 MB create), summed once when the entry is stored, never by encoding a state on a use.

Eviction loses only what the node may lose: a pinned stream is reloaded from the pin store, and an
unpinned one lives only here by design (Ceramic's), exactly as under the count limit. The entry being
stored is never the one evicted for it: a single stream over the byte limit is kept alone (everything
else goes) rather than refused, since refusing would drop a write already accepted, signed and
gossiped; its size is bounded by the body and log limits, and it goes at the next store.
"""

from __future__ import annotations

from collections import OrderedDict
from itertools import islice
from typing import NamedTuple

from multiformats import CID

from fakenet.node.streams.state import StreamState
from fakenet.node.streams.streamid import StreamID


BYTE_LIMIT = 64 * 1024 * 1024


class CachedStream(NamedTuple):
    state: StreamState
    blocks: dict[CID, bytes]


def entry_bytes(blocks: dict[CID, bytes]) -> int:
    """What an entry is taken to hold: its blocks, and about as much again decoded into its state."""
    return 2 * sum(map(len, blocks.values()))


class StreamCache:
    def __init__(self, limit: int = 500, byte_limit: int = BYTE_LIMIT):
        if limit < 1:
            raise ValueError(f"cache limit must be at least 1, got {limit}")
        if byte_limit < 1:
            raise ValueError(f"cache byte limit must be at least 1, got {byte_limit}")
        self._limit, self._byte_limit = limit, byte_limit
        self._entries: OrderedDict[StreamID, CachedStream] = OrderedDict()  # least recent first
        self._sizes: dict[StreamID, int] = {}
        self._bytes = 0

    @property
    def limit(self) -> int:
        return self._limit

    @property
    def byte_limit(self) -> int:
        return self._byte_limit

    @property
    def bytes(self) -> int:
        """The entries' bytes (entry_bytes), as counted against byte_limit."""
        return self._bytes

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
        self._store(state, blocks)
        self._entries.move_to_end(state.stream_id)
        return self._make_room(state.stream_id)

    def entries(self) -> list[CachedStream]:
        return list(self._entries.values())

    def replace(self, state: StreamState, blocks: dict[CID, bytes]) -> list[StreamID] | None:
        """Swap in a newer state of a cached stream without touching its recency: a gossiped
        update or an anchor is not a use, and the harness predicts eviction order from uses.
        None if the stream is not cached; else the ids evicted because the entry grew."""
        if state.stream_id not in self._entries:
            return None
        self._store(state, blocks)
        return self._make_room(state.stream_id)

    def _store(self, state: StreamState, blocks: dict[CID, bytes]) -> None:
        size = entry_bytes(blocks)
        self._bytes += size - self._sizes.get(state.stream_id, 0)
        self._sizes[state.stream_id] = size
        self._entries[state.stream_id] = CachedStream(state, dict(blocks))

    def _make_room(self, keep: StreamID) -> list[StreamID]:
        """Evict the least recently used streams but `keep` until within both limits."""
        evicted = []
        while len(self._entries) > self._limit or (self._bytes > self._byte_limit and len(self._entries) > 1):
            # The oldest of the first two: `keep` is at most one of them, and only two keys are hashed.
            oldest = next(stream_id for stream_id in islice(self._entries, 2) if stream_id != keep)
            evicted += self.evict(ids=[oldest])
        return evicted

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
            self._bytes -= self._sizes.pop(stream_id)
        return evicted

    def lru_order(self) -> list[StreamID]:
        """Stream ids, least recently used first: the order evictions take them."""
        return list(self._entries)
