"""Headers without their blocks: what `submitheader` adds (bitcoin-core's headers-only entries).

bitcoin-core keeps such a header in its block index with no data ("headers-only" in
getchaintips) until the block arrives. Here they sit beside the block index, in memory, at most
MAX_HEADERS of them, the oldest forgotten first with the headers built on it: a header costs its
sender one hash of proof of work on regtest, so without a bound a client could grow the node's
memory forever. A restart forgets them (bitcoin-core keeps them); a block arriving for one moves
it into the block index.
"""

from collections import OrderedDict

from .index import BlockIndex

MAX_HEADERS = 10_000


class HeaderTree:
    def __init__(self, limit: int = MAX_HEADERS):
        self._entries: OrderedDict[str, BlockIndex] = OrderedDict()  # arrival order: parents first
        self._failed: set[str] = set()  # entries whose block arrived and broke a rule (a subset)
        self._limit = limit

    def __contains__(self, block_hash: str) -> bool:
        return block_hash in self._entries

    def get(self, block_hash: str) -> BlockIndex | None:
        return self._entries.get(block_hash)

    def values(self) -> list[BlockIndex]:
        return list(self._entries.values())

    def add(self, entry: BlockIndex) -> None:
        self._entries[entry.hash] = entry
        while len(self._entries) > self._limit:
            self._forget(next(iter(self._entries)))

    def __len__(self) -> int:
        return len(self._entries)

    def pop(self, block_hash: str) -> None:
        """Its block arrived: the header now lives in the block index (its children stay)."""
        self._entries.pop(block_hash, None)
        self._failed.discard(block_hash)

    def mark_failed(self, block_hash: str) -> None:
        """Its block broke a rule before it could be stored (its parent's block is missing):
        kept, so a resend is "duplicate-invalid" and a child "bad-prevblk", as in core."""
        if block_hash in self._entries:
            self._failed.add(block_hash)

    def failed(self, block_hash: str) -> bool:
        return block_hash in self._failed

    def _forget(self, block_hash: str) -> None:
        """Drop a header and every header built on it, which would otherwise hang from nothing."""
        gone = {block_hash}
        for entry in list(self._entries.values()):  # a child always arrived after its parent
            if entry.hash in gone or entry.prev_hash in gone:
                gone.add(entry.hash)
                del self._entries[entry.hash]
                self._failed.discard(entry.hash)
