"""Which peers hold a cluster pin: rendezvous (highest-random-weight) hashing over PeerIDs.

The allocation is a pure function of the stream id, the live peer set and the replication
factors, so every node computes the same answer from the same live set and the harness's
oracle can predict it by calling `allocate` itself. Rendezvous hashing also moves as little
as possible: when a peer leaves, only the items it held move (each to the next peer in that
item's own ranking); when it comes back, exactly those items move back to it.
"""

from __future__ import annotations

import hashlib

EVERYWHERE = -1  # ipfs-cluster's replication factor for "pin on every peer"


def score(stream_id: str, peer_id: str) -> int:
    """A peer's weight for a stream: sha256 of the UTF-8 text `"<stream_id>/<peer_id>"`,
    read as a big-endian unsigned integer."""
    return int.from_bytes(hashlib.sha256(f"{stream_id}/{peer_id}".encode()).digest(), "big")


def check_factors(rmin: int, rmax: int) -> None:
    """Both -1 (everywhere), or 1 <= rmin <= rmax; anything else is a ValueError saying why."""
    if rmin == EVERYWHERE and rmax == EVERYWHERE:
        return
    if rmin < 1 or rmax < 1:
        raise ValueError(f"replication factors must be >= 1, or both -1 for everywhere (got rmin={rmin}, rmax={rmax})")
    if rmin > rmax:
        raise ValueError(f"rmin ({rmin}) must not exceed rmax ({rmax})")


def allocate(stream_id: str, live_peer_ids: list[str], rmin: int, rmax: int) -> list[str]:
    """The peers that should pin `stream_id`, best first.

    Rank the distinct `live_peer_ids` by `score(stream_id, peer_id)` (highest first; equal
    scores, which sha256 makes practically impossible, by PeerID ascending) and take the
    first `rmax`, or all of them when `rmax` is -1 or exceeds the number of live peers.
    `rmin` does not change the choice: fewer live peers than `rmin` gives every live peer
    (the item is under-replicated until more peers are live). `stream_id` is the canonical
    base36 text (`StreamID.encode()`), as `createstream` and `clusterpinls` return it.
    Raises ValueError for factors `check_factors` refuses.
    """
    check_factors(rmin, rmax)
    ranked = sorted(set(live_peer_ids), key=lambda peer: (-score(stream_id, peer), peer))
    return ranked if rmax == EVERYWHERE else ranked[:rmax]
