"""CARv1 (IPLD content-addressable archives): how ceramic-one takes and gives events.

    varint(len(header)) dag-cbor {"version": 1, "roots": [CID]}  then, per block,
    varint(len(cid) + len(data)) cid data

Every block's data is checked against its CID on decoding; sizes are bounded before anything is
read, as a peer or client may send any bytes.
"""

from __future__ import annotations

import io

import dag_cbor
from multiformats import CID, varint

from fakenet.node.errors import NodeError
from fakenet.node.streams import cids, codec
from fakenet.node.uvarint import encode as _varint

MAX_BLOCKS = 16


class InvalidCar(NodeError):
    """Bytes that are not a CARv1 this node takes; the message says what is wrong."""


def encode(roots: list[CID], blocks: dict[CID, bytes]) -> bytes:
    """The same bytes dag_cbor and multiformats give, without their run-time argument checks on
    every value: Recon sends each event to every peer lacking it, a CAR each (~100 µs through them)."""
    header = _one_root_header(roots) or dag_cbor.encode({"version": 1, "roots": list(roots)})
    out = [_varint(len(header)), header]
    for cid, data in blocks.items():
        raw = cids.to_bytes(cid)
        out += [_varint(len(raw) + len(data)), raw, data]
    return b"".join(out)


def decode(data: bytes) -> tuple[list[CID], dict[CID, bytes]]:
    """(roots, blocks) of a CARv1, each block checked against its CID."""
    stream = io.BytesIO(data)
    try:
        header = _header(_chunk(stream))
        roots = [codec.as_cid(root) for root in header["roots"]]
        blocks = dict(_blocks(stream))
    except InvalidCar:
        raise
    except Exception as exc:  # dag_cbor, varint and CID raise unrelated types on garbage
        raise InvalidCar(f"not a CARv1: {exc}") from exc
    if header.get("version") != 1 or not roots:
        raise InvalidCar(f"a CARv1 with at least one root is needed, got version {header.get('version')!r}")
    return roots, blocks


# The header every event's CAR has: one root, version 1, in dag-cbor's canonical bytes. Read by
# matching those bytes exactly, not by dag_cbor, whose CID decoding costs most of a CAR's reading.
_ROOTS = bytes([0xA2, 0x65]) + b"roots" + bytes([0x81, 0xD8, 0x2A, 0x58])  # map(2), "roots", [tag 42 bytes(n)
_VERSION_1 = bytes([0x67]) + b"version" + bytes([0x01])
_ONE_ROOT_SIZES = range(len(_ROOTS) + 2 + len(_VERSION_1), len(_ROOTS) + 256 + len(_VERSION_1))


def _header(chunk: bytes) -> dict:
    """The CAR header as a map; the one-root form read by hand, any other by dag_cbor."""
    if len(chunk) in _ONE_ROOT_SIZES and chunk.startswith(_ROOTS) and chunk.endswith(_VERSION_1):
        size = chunk[len(_ROOTS)]  # the tagged bytes: a 0x00 multibase prefix, then the CID
        cid_bytes = chunk[len(_ROOTS) + 2:-len(_VERSION_1)]
        if size == len(cid_bytes) + 1 >= 24 and chunk[len(_ROOTS) + 1] == 0:  # 24: below it, canonical CBOR has no 0x58
            return {"version": 1, "roots": [cids.decode(cid_bytes)]}
    return dag_cbor.decode(chunk)


def _one_root_header(roots: list[CID]) -> bytes | None:
    """The one-root header's canonical bytes, as `_header` reads them; None for any other shape."""
    if len(roots) != 1:
        return None
    raw = cids.to_bytes(roots[0])
    return _ROOTS + bytes([len(raw) + 1, 0]) + raw + _VERSION_1 if 24 <= len(raw) + 1 <= 255 else None


def _chunk(stream: io.BytesIO) -> bytes:
    size = _read_varint(stream)
    chunk = stream.read(size)
    if len(chunk) != size:
        raise InvalidCar(f"truncated: a section of {size} bytes has {len(chunk)}")
    return chunk


def _read_varint(stream: io.BytesIO) -> int:
    """A varint as multiformats reads one (minimal, at most 9 bytes), without its checked calls:
    every section of every CAR starts with one. ValueError, which decode() reports as not a CARv1."""
    value = 0
    for index in range(9):
        byte = stream.read(1)
        if not byte:
            raise ValueError("truncated: a varint runs past the end")
        value |= (byte[0] & 0x7F) << (7 * index)
        if not byte[0] & 0x80:
            if index and not byte[0]:
                raise ValueError("a varint is not minimally encoded")
            return value
    raise ValueError("a varint is longer than 9 bytes")


def _blocks(stream: io.BytesIO):
    count = 0
    while stream.tell() < len(stream.getbuffer()):
        count += 1
        if count > MAX_BLOCKS:
            raise InvalidCar(f"an event has at most {MAX_BLOCKS} blocks")
        chunk = _chunk(stream)
        if (size := cids.head_length(chunk)) is not None:  # the common shape, matched whole
            cid, block = cids.decode(chunk[:size]), chunk[size:]
        else:
            section = io.BytesIO(chunk)
            cid = cids.decode(_cid_bytes(section))
            block = section.read()
        if cid.hashfun.name != codec.HASH or codec.cid_of(block, cid.codec.name).digest != cid.digest:
            raise InvalidCar(f"block {cid} does not hash to its CID (sha2-256 only)")
        yield cid, block


def _cid_bytes(section: io.BytesIO) -> bytes:
    """The CID at the head of a block section: version, codec, then the multihash's own length."""
    start = section.tell()
    for _ in range(3):  # version, codec, hash function
        varint.decode(section)
    size = varint.decode(section)
    section.seek(section.tell() + size)
    return section.getvalue()[start:section.tell()]
