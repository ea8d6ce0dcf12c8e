"""Content-addressed blocks: dag-cbor bytes named by a CIDv1 over their sha2-256 hash.

Everything goes through `multiformats` and `dag_cbor`, so the CIDs and bytes match what
IPFS and Ceramic produce for the same objects. CIDs are always shown in base32 (`bafy…`),
the form Kubo prints, whatever base a decoder happened to hand back. Signed commits in
Ceramic's DAG-JOSE form are records of their own (jose.py); `verify` and `decode` take them too.
"""

from __future__ import annotations

import functools
from typing import Any

import dag_cbor
from multiformats import CID

from fakenet.node import excerpt
from fakenet.node.streams import cids, jose
from fakenet.node.streams.errors import CommitRejected

DAG_CBOR = "dag-cbor"
RAW = "raw"
HASH = "sha2-256"


def cid_of(data: bytes, codec: str = DAG_CBOR) -> CID:
    return cids.of(data, codec)


# multiformats validates every argument at run time (cids.py reads the common shape without
# that), and every search message, fetch and pin-store lookup reads and prints CIDs. CIDs are
# immutable values, so the results are cached (failures are not: lru_cache does not keep exceptions).
CID_CACHE = 65536


def as_cid(value: CID | str | bytes) -> CID:
    """Accept a CID in any form (text in any base, binary, object) and show it in base32."""
    try:
        return _as_cid_cached(value)
    except TypeError:  # unhashable (a peer may send any JSON): decode without the cache, to the same error
        return _as_cid(value)


@functools.lru_cache(maxsize=CID_CACHE)
def _as_cid_cached(value: CID | str | bytes) -> CID:
    return _as_cid(value)


def _as_cid(value: CID | str | bytes) -> CID:
    if isinstance(value, CID):
        return value.set(base="base32")
    try:
        return cids.parse(value) if isinstance(value, str) else cids.decode(value)
    except Exception as exc:  # multiformats raises several unrelated types for bad input
        raise ValueError(f"not a CID: {excerpt.quoted(value)}") from exc


def cid_text(value: CID | str | bytes) -> str:
    """The base32 text of a CID in any form (as_cid's, printed)."""
    try:
        return _text_cached(value)
    except TypeError:  # unhashable: as_cid raises the error it would
        return cids.text(as_cid(value))


@functools.lru_cache(maxsize=CID_CACHE)
def _text_cached(value: CID | str | bytes) -> str:
    # One lookup keyed by what the caller holds: hashing a multiformats CID is ~0.7 µs of Python,
    # and gossip prints every block of a stream's log per update.
    return cids.text(as_cid(value))


def encode(obj: Any) -> tuple[CID, bytes]:
    data = to_bytes(obj)
    return cid_of(data), data


def to_bytes(obj: Any) -> bytes:
    """dag-cbor bytes; CommitRejected for what dag-cbor cannot hold (integers beyond 64 bits, NaN,
    non-string keys, absurd nesting): such content comes from a client and must be refused, not
    fail inside the node."""
    try:
        return dag_cbor.encode(obj)
    except (dag_cbor.encoding.CBOREncodingError, TypeError, ValueError, RecursionError) as exc:
        raise CommitRejected(f"content cannot be stored as dag-cbor: {exc}") from exc


def verify(cid: CID, data: bytes) -> None:
    """Raise CommitRejected unless `data` hashes to `cid`: a peer may send anything."""
    if cid.hashfun.name != HASH:
        raise CommitRejected(f"block {as_cid(cid)} uses {cid.hashfun.name}; only {HASH} is accepted")
    if cid.codec.name == jose.DAG_JOSE:
        data = jose.unpack(cid, data).jws  # the CID names the JWS block the record holds
    actual = cid_of(data, cid.codec.name)
    if actual.digest != cid.digest:
        raise CommitRejected(
            f"block does not match its CID: expected {as_cid(cid)}, the bytes hash to {actual}"
        )


def decode(cid: CID, data: bytes) -> Any:
    verify(cid, data)
    if cid.codec.name == jose.DAG_JOSE:
        return jose.decode(cid, data)
    if cid.codec.name != DAG_CBOR:
        raise CommitRejected(f"block {as_cid(cid)} is {cid.codec.name}, not {DAG_CBOR}")
    try:
        return dag_cbor.decode(data)
    except Exception as exc:  # dag_cbor has no single error root for malformed input
        raise CommitRejected(f"block {as_cid(cid)} is not valid dag-cbor: {exc}") from exc
