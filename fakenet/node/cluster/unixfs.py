"""Files as `ipfs add` (and so ipfs-cluster's `/add`) turns them into blocks: UnixFS over dag-pb.

A developer who adds a file through fakenet and through a real cluster must get the same CID,
so the defaults are Kubo's: 256 KiB chunks, balanced layout, CIDv0 with dag-pb leaves; with
`cid-version=1` the leaves are raw blocks (as Kubo and ipfs-cluster switch them) and the root a
CIDv1. A file of one chunk is that chunk's node alone.

Only the one-level balanced tree is built (up to 174 chunks, Kubo's links per node: 43.5 MiB),
far above the REST body limit; a bigger file is refused rather than given a wrong CID.

dag-pb and UnixFS are protobufs; the few fields needed are written by hand, in the canonical
order (links before data), rather than pulling in a protobuf runtime.
"""

from __future__ import annotations

from dataclasses import dataclass

from multiformats import CID, multihash

from fakenet.node.uvarint import encode as _varint

CHUNK = 256 * 1024
MAX_LINKS = 174
UNIXFS_FILE = 2


@dataclass(frozen=True)
class Dag:
    root: CID
    blocks: dict[CID, bytes]  # every block, root included, named by the CID the pin store uses (v1)
    size: int  # the file's bytes


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _uint(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def _unixfs_file(data: bytes, filesize: int, blocksizes: list[int] = ()) -> bytes:
    body = _uint(1, UNIXFS_FILE) + (_field(2, data) if data else b"") + _uint(3, filesize)
    return body + b"".join(_uint(4, size) for size in blocksizes)


def _pb_node(data: bytes, links: list[tuple[CID, int]] = ()) -> bytes:
    # go-merkledag writes the empty Name of file links; the CIDs Kubo prints depend on it.
    encoded = b"".join(_field(2, _field(1, bytes(cid)) + _field(2, b"") + _uint(3, tsize)) for cid, tsize in links)
    return encoded + _field(1, data)


def _cid(data: bytes, codec: str, version: int) -> CID:
    digest = multihash.digest(data, "sha2-256")
    return CID("base58btc", 0, codec, digest) if version == 0 else CID("base32", 1, codec, digest)


def _v1(cid: CID) -> CID:
    return cid.set(version=1, base="base32") if cid.version == 0 else cid


def build(data: bytes, cid_version: int = 0, raw_leaves: bool | None = None) -> Dag:
    """The UnixFS DAG of one file. `raw_leaves` None is Kubo's default for the CID version."""
    raw_leaves = cid_version > 0 if raw_leaves is None else raw_leaves
    chunks = [data[at:at + CHUNK] for at in range(0, len(data), CHUNK)] or [b""]
    if len(chunks) > MAX_LINKS:
        raise ValueError(f"file of {len(data)} bytes is over {MAX_LINKS * CHUNK} bytes, the largest this node adds")
    leaves = [_leaf(chunk, cid_version, raw_leaves) for chunk in chunks]
    if len(leaves) == 1:
        cid, block = leaves[0]
        return Dag(cid, {_v1(cid): block}, len(data))
    root_block = _pb_node(_unixfs_file(b"", len(data), [len(c) for c in chunks]),
                          [(cid, len(block)) for cid, block in leaves])
    root = _cid(root_block, "dag-pb", cid_version)
    return Dag(root, {_v1(root): root_block, **{_v1(cid): block for cid, block in leaves}}, len(data))


def _leaf(chunk: bytes, cid_version: int, raw: bool) -> tuple[CID, bytes]:
    if raw:
        return _cid(chunk, "raw", 1), chunk  # a raw block has no CIDv0 form
    block = _pb_node(_unixfs_file(chunk, len(chunk)))
    return _cid(block, "dag-pb", cid_version), block


# -- reading links (to pin a DAG a peer added) ---------------------------------------------------

def _read_varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if at >= len(data) or shift > 63:
            raise ValueError("truncated or oversized protobuf varint")
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at, shift = at + 1, shift + 7
        if not byte & 0x80:
            return value, at


def _fields(data: bytes):
    """(field number, value) of a protobuf message; length-delimited values as bytes."""
    at = 0
    while at < len(data):
        key, at = _read_varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, at = _read_varint(data, at)
        elif wire == 2:
            length, at = _read_varint(data, at)
            value, at = data[at:at + length], at + length
        else:
            raise ValueError(f"unexpected protobuf wire type {wire}")
        yield number, value


def links(block: bytes) -> list[CID]:
    """The children of a dag-pb node; ValueError for bytes that are not one."""
    children = []
    for number, value in _fields(block):
        if number == 2:
            hashes = [v for n, v in _fields(value) if n == 1]
            if len(hashes) != 1:
                raise ValueError("dag-pb link without exactly one hash")
            children.append(_v1(CID.decode(bytes(hashes[0]))))
    return children
