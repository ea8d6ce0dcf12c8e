"""The shared pinset as a state-based CRDT: a last-writer-wins map from item (stream id or CID) to PinEntry.

Every write (add or remove) carries a Lamport clock and the writer's PeerID; of two versions
of one item the one with the larger (clock, origin, canonical JSON) wins. That order is total,
so merging is commutative, associative and idempotent: nodes that have seen the same writes
hold the same pinset, in whatever order and however often the writes arrived. A removal is a
tombstone (`removed=True`) so that it can beat an older add arriving late.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace

from fakenet.node.cluster import items
from fakenet.node.cluster.allocation import check_factors


@dataclass(frozen=True)
class PinEntry:
    stream_id: str  # the item: a stream id or a CID, canonical text (items.py); the name is the wire's
    rmin: int
    rmax: int
    name: str
    added_at: float  # unix seconds when this version was written
    clock: int
    origin: str  # PeerID of the writer
    removed: bool = False
    allocations: tuple[str, ...] = ()  # the writer's allocation when it wrote (kept when repinning is off)

    def canonical(self) -> str:
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))

    def version(self) -> tuple[int, str, str]:
        return self.clock, self.origin, self.canonical()

    def to_json(self) -> dict:
        return {**asdict(self), "allocations": list(self.allocations)}

    @classmethod
    def from_json(cls, data: dict) -> PinEntry:
        """Read an entry from a peer or the store; a malformed one is a ValueError."""
        entry = cls(stream_id=str(data["stream_id"]), rmin=int(data["rmin"]), rmax=int(data["rmax"]),
                    name=str(data.get("name") or ""), added_at=float(data["added_at"]), clock=int(data["clock"]),
                    origin=str(data["origin"]), removed=bool(data.get("removed", False)),
                    allocations=tuple(str(p) for p in data.get("allocations") or ()))
        if items.canonical(entry.stream_id) != entry.stream_id:
            raise ValueError(f"pin entry id {entry.stream_id!r} is not in canonical form (see cluster/items.py)")
        check_factors(entry.rmin, entry.rmax)
        return entry


class Pinset:
    def __init__(self, entries: list[PinEntry] = (), clock: int = 0):
        self.clock = clock
        self._entries: dict[str, PinEntry] = {}
        self._digest: str | None = None
        for entry in entries:
            self.merge(entry)

    # -- local writes ----------------------------------------------------------------------

    def add(self, stream_id: str, rmin: int, rmax: int, name: str, origin: str, now: float,
            allocations: list[str] = ()) -> PinEntry:
        entry = PinEntry(stream_id, rmin, rmax, name, now, self.clock + 1, origin, False, tuple(allocations))
        self.merge(entry)
        return entry

    def remove(self, stream_id: str, origin: str, now: float) -> PinEntry | None:
        """Write a tombstone over an active item; None when there is nothing to remove."""
        current = self.get(stream_id)
        if current is None:
            return None
        entry = replace(current, added_at=now, clock=self.clock + 1, origin=origin, removed=True)
        self.merge(entry)
        return entry

    # -- merging ---------------------------------------------------------------------------

    def merge(self, entry: PinEntry) -> bool:
        """Take `entry` if it beats what is held for its item; True when the pinset changed."""
        self.clock = max(self.clock, entry.clock)  # Lamport: later local writes order after it
        current = self._entries.get(entry.stream_id)
        if current is not None and current.version() >= entry.version():
            return False
        self._entries[entry.stream_id] = entry
        self._digest = None
        return True

    def merge_all(self, entries: list[PinEntry]) -> list[PinEntry]:
        """Merge many; return the entries that changed something (to pass on to others)."""
        return [entry for entry in entries if self.merge(entry)]

    # -- reading ---------------------------------------------------------------------------

    def get(self, stream_id: str) -> PinEntry | None:
        entry = self._entries.get(stream_id)
        return None if entry is None or entry.removed else entry

    def items(self) -> list[PinEntry]:
        """Active items (tombstones left out), by stream id."""
        return sorted((e for e in self._entries.values() if not e.removed), key=lambda e: e.stream_id)

    def entries(self) -> list[PinEntry]:
        """Everything, tombstones included: what anti-entropy sends."""
        return sorted(self._entries.values(), key=lambda e: e.stream_id)

    def digest(self) -> str:
        """A short fingerprint of the whole state; equal digests mean equal pinsets."""
        if self._digest is None:
            text = "\n".join(entry.canonical() for entry in self.entries())
            self._digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        return self._digest
