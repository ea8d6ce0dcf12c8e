"""What the cluster pins: a stream (by its StreamID) or any IPFS block (by its CID).

ipfs-cluster pins CIDs; fakenet's cluster began with streams. Both live in one pinset, keyed by
canonical text, so that two spellings of one item are one entry on every peer:

    k…        a StreamID, base36, as Ceramic prints it
    Qm…       a CIDv0, base58btc, as ipfs-cluster prints it (kept: clients compare the text)
    b…        any CIDv1, base32, as ipfs-cluster and Kubo print it

The pin store names blocks by CIDv1, so a CIDv0 is looked up as its v1 twin (same multihash,
dag-pb). Anything else is a ValueError saying what was expected.
"""

from __future__ import annotations

from multiformats import CID

from fakenet.node import excerpt
from fakenet.node.streams import InvalidStreamID, StreamID


def canonical(text) -> str:
    """The pinset key of a stream id or a CID given in any base."""
    text = str(text).strip()
    try:
        return StreamID.parse(text).encode()
    except InvalidStreamID:
        pass
    try:
        cid = CID.decode(text)
    except Exception as exc:  # multiformats raises several unrelated types for bad input
        raise ValueError(f"{excerpt.quoted(text)} is neither a CID nor a stream id") from exc
    return str(cid) if cid.version == 0 else str(cid.set(base="base32"))


def block_cid(key: str) -> CID | None:
    """The CID the pin store knows a block item by (CIDv1, base32); None for a stream."""
    if key.startswith("k"):  # base36 text is a StreamID; no CID is printed in base36
        return None
    return CID.decode(key).set(version=1, base="base32")


def is_stream(key: str) -> bool:
    return block_cid(key) is None
