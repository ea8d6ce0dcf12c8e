"""Checking what a client asked for (RPC or REST alike): a ValueError says what is wrong."""

from __future__ import annotations

from fakenet.node import excerpt
from fakenet.node.cluster.allocation import EVERYWHERE, check_factors
from fakenet.node.streams import StreamID


def stream_id(text) -> str:
    """The canonical text of a StreamID (InvalidStreamID, a ValueError, for anything else)."""
    return StreamID.parse(str(text)).encode()


def _factor(value, name: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError(f"{name} must be an integer, got {excerpt.quoted(value)}")
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an integer, got {excerpt.quoted(value)}") from exc


def factors(rmin=None, rmax=None) -> tuple[int, int]:
    """Replication factors: neither given is -1/-1 (every peer, ipfs-cluster's default); one given
    stands for both."""
    low, high = _factor(rmin, "rmin"), _factor(rmax, "rmax")
    low = high if low is None else low
    high = low if high is None else high
    result = (EVERYWHERE, EVERYWHERE) if low is None else (low, high)
    check_factors(*result)
    return result
