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
    total = sum(int.from_bytes(hashlib.sha256(key).digest(), "big") for key in ids) % MOD
    return len(ids), f"{total:064x}"


def split(ids: list[bytes], lo: bytes, hi: bytes) -> list[tuple[bytes, bytes, list[bytes]]]:
    """Two halves at the median key: each holds fewer keys than the whole (len(ids) >= 2)."""
    middle = len(ids) // 2
    return [(lo, ids[middle], ids[:middle]), (ids[middle], hi, ids[middle:])]
