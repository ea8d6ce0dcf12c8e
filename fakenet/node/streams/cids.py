"""CIDs read, made and printed without multiformats' run-time argument checks, for the one shape
this node makes and mostly takes in: CIDv1 with a sha2-256 multihash.

multiformats checks every argument of every call against its type hints (typing_validation):
reading a CID from bytes costs about 0.3 ms, making one 0.3 ms, printing one 0.7 ms, which was
most of what taking in an event cost (BENCHMARKS.md, Recon). Here that shape is read as strictly
as multiformats reads it — version 1, a codec the multicodec table has, the sha2-256 code, a
32-byte digest and nothing after it, varints in their one minimal form — by matching the whole
header against headers built once from multiformats' own tables; the result is multiformats'
own CID object (the same interned instance CID.decode gives). Any other shape (CIDv0, other hash
functions, other codecs) goes through multiformats unchanged, so nothing is accepted here that
it would refuse.
"""

from __future__ import annotations

import base64
import hashlib

import dag_cbor.decoding
from multiformats import CID, multibase, multicodec, multihash, varint

from fakenet.node.id_text import too_long

BASE32 = multibase.get("base32")
BASE58BTC = multibase.get("base58btc")
SHA2_256 = multihash.get("sha2-256")
DIGEST_BYTES = 32
# Content codecs whose CIDs this node reads on hot paths: commits, payloads, raw blocks, anchor proofs.
FAST_CODECS = ("dag-cbor", "dag-jose", "raw", "dag-pb")


def _headers() -> dict[bytes, multicodec.Multicodec]:
    """Every accepted header: version 1, the codec's varint, sha2-256's code and the digest length."""
    tail = varint.encode(SHA2_256.code) + varint.encode(DIGEST_BYTES)
    return {varint.encode(1) + varint.encode(codec.code) + tail: codec
            for codec in map(multicodec.get, FAST_CODECS)}


_HEADERS = _headers()
_HEADER_SIZES = sorted({len(header) for header in _HEADERS})


def decode(data: bytes) -> CID:
    """The CID these bytes are, shown in base32; multiformats' errors for anything it would refuse."""
    read = _read(data, BASE32)
    return read if read is not None else CID.decode(data).set(base="base32")


def _read(data: bytes, base: multibase.Multibase) -> CID | None:
    """The CID these bytes are, shown in `base`, if they have the shape read here; else None."""
    for size in _HEADER_SIZES if isinstance(data, bytes) else ():  # a peer's value may be any type
        codec = _HEADERS.get(data[:size])
        if codec is not None and len(data) == size + DIGEST_BYTES:
            # Varints are prefix-free, so at most one header can match: the codec is the one named.
            return CID._new_instance(CID, base, 1, codec, SHA2_256, data[size - 2:])
    return None


class DagCborReading:
    """What dag_cbor's decoder calls `CID` (set below): its one use of the name is `CID.decode(bytes)`
    for each tag-42 link, ~0.5 ms in multiformats, two or more per commit a node decodes. Here it is
    the very CID multiformats gives (shown in base58btc, as it shows a binary CID); any other shape
    goes to multiformats itself. tests/unit/test_cids.py checks that dag_cbor still uses it so."""

    @staticmethod
    def decode(data: bytes) -> CID:
        read = _read(data, BASE58BTC)
        return read if read is not None else CID.decode(data)


dag_cbor.decoding.CID = DagCborReading


def head_length(data: bytes) -> int | None:
    """The length of the CID that `data` starts with, if it has the shape read here (a block
    section of a CAR: the CID, then the block); None for any other."""
    for size in _HEADER_SIZES:
        if data[:size] in _HEADERS and len(data) >= size + DIGEST_BYTES:
            return size + DIGEST_BYTES
    return None


def parse(text: str) -> CID:
    """A CID from its text: base32 CIDv1 ('b…', as this node prints them) read here, any other base by multiformats.
    Raises ValueError for text too long to be a CID (id_text.py: multiformats is quadratic in it)."""
    if reason := too_long(text, "a CID"):
        raise ValueError(reason)
    if text[:1] == "b" and text[1:].islower():
        try:
            raw = base64.b32decode(text[1:].upper() + "=" * (-len(text[1:]) % 8))
        except ValueError:
            raw = None
        if raw is not None and _b32(raw) == text[1:]:  # canonical text only: no stray padding bits
            return decode(raw)
    return CID.decode(text).set(base="base32")


def of(data: bytes, codec: str) -> CID:
    """The CIDv1 (sha2-256) naming `data` as a block of `codec`."""
    digest = hashlib.sha256(data).digest()
    for header, known in _HEADERS.items():
        if known.name == codec:
            return CID._new_instance(CID, BASE32, 1, known, SHA2_256, header[-2:] + digest)
    return CID("base32", 1, codec, multihash.digest(data, "sha2-256"))


_HEADER_OF = {codec.code: header for header, codec in _HEADERS.items()}


def to_bytes(cid: CID) -> bytes:
    """bytes(cid): for the shape read here, the header and the multihash (which holds the digest);
    any other through multiformats."""
    header = _HEADER_OF.get(cid.codec.code) if cid.version == 1 and cid.hashfun.code == SHA2_256.code else None
    return header[:-2] + cid.digest if header is not None and len(cid.digest) == 2 + DIGEST_BYTES else bytes(cid)


def text(cid: CID) -> str:
    """The base32 text of a CIDv1 ('b' and RFC 4648 base32, lower case, unpadded), as multibase prints it."""
    if cid.version != 1:
        return str(cid)
    return "b" + _b32(bytes(cid))


def _b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode().lower().rstrip("=")
