"""getchaintips: every branch's tip, where it leaves the main chain, and bitcoin-core's status for it.

A tip is a stored block no other stored block builds on, plus the main chain's tip. Statuses as
bitcoin-core names them: "active" (the main chain), "invalid" (the branch holds a failed block),
"valid-fork" (fully validated once: it was the main chain before a reorg), "valid-headers" (stored
and checked but never connected), "headers-only" (a header `submitheader` added, whose block has
not arrived). A branch length counts headers-only entries as bitcoin-core does: from the tip down
to the main chain.
"""

from collections.abc import Callable, Iterable

from .index import FAILED_MASK, HEADERS_ONLY, VALIDATED, BlockIndex


def chain_tips(entries: Iterable[BlockIndex], status: Callable[[str], int], main: list[str]) -> list[dict]:
    """Tips highest first, as bitcoin-core sorts them (the active tip among equals first)."""
    entries = list(entries)
    parents = {entry.prev_hash for entry in entries}
    on_main = set(main)
    tips = [entry for entry in entries if entry.hash not in parents and entry.hash not in on_main]
    by_hash = {entry.hash: entry for entry in entries}
    active = by_hash[main[-1]]
    rows = [_row(active, 0, "active")]
    for tip in tips:
        fork = _fork_height(tip, by_hash, on_main)
        rows.append(_row(tip, tip.height - fork, _status(status(tip.hash))))
    return sorted(rows, key=lambda row: -row["height"])


def _row(entry: BlockIndex, branchlen: int, status: str) -> dict:
    return {"height": entry.height, "hash": entry.hash, "branchlen": branchlen, "status": status}


def _fork_height(entry: BlockIndex, by_hash: dict[str, BlockIndex], on_main: set[str]) -> int:
    while entry.hash not in on_main:
        entry = by_hash[entry.prev_hash]
    return entry.height


def _status(flags: int) -> str:
    if flags & FAILED_MASK:
        return "invalid"
    if flags & HEADERS_ONLY:
        return "headers-only"
    return "valid-fork" if flags & VALIDATED else "valid-headers"
