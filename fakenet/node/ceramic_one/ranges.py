"""Ranges of EventIds and their fingerprints, over the event feed's table: what Recon compares.

A range is [lo, hi) of EventIds (bytes, compared as SQLite and Python compare them: bytewise,
shorter first on a tie). Its fingerprint is (count, sum of sha256(id) mod 2^256), Recon's
associative hash (rust-ceramic's Sha256a): two ranges with the same keys have the same
fingerprint, and a split range's halves add up to the whole, whatever order keys arrived in.
"""

from __future__ import annotations

import hashlib

MOD = 1 << 256


def interest_range(prefix: bytes) -> tuple[bytes, bytes]:
    """Every EventId that begins with `prefix` is in [prefix, prefix + 1)."""
    end = (int.from_bytes(prefix, "big") + 1).to_bytes(len(prefix), "big")
    return prefix, end


def keys(db, lo: bytes, hi: bytes) -> list[bytes]:
    return [row[0] for row in db.execute("SELECT id FROM events WHERE id >= ? AND id < ? ORDER BY id", (lo, hi))]


def held(db, ids: list[bytes]) -> list[bytes]:
    """Which of `ids` (at most a frame's worth) the feed holds, in one query."""
    marks = ",".join("?" * len(ids))
    return [row[0] for row in db.execute(f"SELECT id FROM events WHERE id IN ({marks})", ids)] if ids else []


def fingerprint(ids: list[bytes]) -> tuple[int, str]:
    total = _sum(ids)
    return len(ids), f"{total:064x}"


def _sum(ids) -> int:
    return sum(int.from_bytes(hashlib.sha256(key).digest(), "big") for key in ids) % MOD


class RunningPrints:
    """The fingerprints of whole interest ranges, kept as the feed grows, for the rounds and for a
    peer's offer of a whole range: recomputed from every key, each cost O(events held), so posting
    at a steady rate slowed as the feed grew (a round each GAP, an offer from each peer each round;
    events posted per second fell 312 → 167 → 126 over three 10,000-event runs, BENCHMARKS.md).

    The feed's events table only gains rows (its seq ascending, no row deleted or re-keyed: an
    eviction drops an event's bytes, not its row), and the fingerprint is a sum, so a range's print
    moves by the keys of the rows after the last seq it counted. Only interest ranges are kept, one
    entry each: a peer's sub-ranges are any bounds it likes, and are hashed from their keys."""

    def __init__(self):
        self._counted: dict[tuple[bytes, bytes], tuple[int, int, int]] = {}  # (lo, hi) -> count, sum, last seq

    def of(self, db, lo: bytes, hi: bytes) -> tuple[int, str]:
        if (lo, hi) not in self._counted:
            # First sight: the range's own keys through the id index, not every row of every Model.
            # Both reads run before anything else touches the feed (no await between them).
            top = db.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
            ids = keys(db, lo, hi)
            self._counted[(lo, hi)] = (len(ids), _sum(ids), top)
            return self._print(lo, hi)
        count, total, last = self._counted[(lo, hi)]
        # The new rows by seq (the primary key's order), the range checked here: a WHERE on id too
        # would let SQLite walk the id index over every key in the range instead.
        rows = db.execute("SELECT seq, id FROM events WHERE seq > ? ORDER BY seq", (last,)).fetchall()
        new = [key for _, key in rows if lo <= key < hi]
        self._counted[(lo, hi)] = (count + len(new), (total + _sum(new)) % MOD, rows[-1][0] if rows else last)
        return self._print(lo, hi)

    def _print(self, lo: bytes, hi: bytes) -> tuple[int, str]:
        count, total, _ = self._counted[(lo, hi)]
        return count, f"{total:064x}"


def split(ids: list[bytes], lo: bytes, hi: bytes) -> list[tuple[bytes, bytes, list[bytes]]]:
    """Two halves at the median key: each holds fewer keys than the whole (len(ids) >= 2)."""
    middle = len(ids) // 2
    return [(lo, ids[middle], ids[:middle]), (ids[middle], hi, ids[middle:])]
