"""Blocks whose parent has not arrived yet, held in memory until it does.

Gossip delivers blocks out of order (a peer relays its new tip before we have synced its
ancestors); keeping them saves fetching them again. Bounded, because anyone can send
orphans: the oldest are dropped first.
"""

from collections import OrderedDict, defaultdict

from bitcoin.core import CBlock


class OrphanPool:
    def __init__(self, limit: int = 1000):
        self.limit = limit
        self._blocks: OrderedDict[str, tuple[str, CBlock, bytes]] = OrderedDict()
        # parent -> children in arrival order (a dict as an ordered set)
        self._by_parent: defaultdict[str, dict[str, None]] = defaultdict(dict)

    def __contains__(self, block_hash: str) -> bool:
        return block_hash in self._blocks

    def __len__(self) -> int:
        return len(self._blocks)

    def raw(self, block_hash: str) -> bytes | None:
        entry = self._blocks.get(block_hash)
        return entry[2] if entry else None

    def add(self, block_hash: str, parent: str, block: CBlock, raw: bytes) -> None:
        if block_hash in self._blocks:
            return
        self._blocks[block_hash] = (parent, block, raw)
        self._by_parent[parent][block_hash] = None
        while len(self._blocks) > self.limit:
            self._remove(next(iter(self._blocks)))

    def pop_children(self, parent: str) -> list[tuple[CBlock, bytes]]:
        """Take out the orphans waiting for `parent`, oldest first."""
        children = list(self._by_parent.get(parent, ()))
        return [self._remove(h) for h in children]

    def _remove(self, block_hash: str) -> tuple[CBlock, bytes]:
        parent, block, raw = self._blocks.pop(block_hash)
        del self._by_parent[parent][block_hash]
        if not self._by_parent[parent]:
            del self._by_parent[parent]
        return block, raw
