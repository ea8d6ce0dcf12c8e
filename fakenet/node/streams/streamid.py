"""StreamID and CommitID as specified by CIP-59, byte for byte compatible with js-ceramic.

    StreamID bytes = varint(0xce) varint(stream type) <genesis CID bytes>
    CommitID bytes = StreamID bytes <commit CID bytes>, or varint(0) for the genesis commit

The text form is multibase base36 (lowercase, prefix `k`), safe in URLs and case-insensitive
file systems. The node models stream types 0 (tile), 2 (Model) and 3 (ModelInstanceDocument);
4 (UNLOADABLE) names the meta-model every Model points to; parsing accepts any type.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

from multiformats import CID, multibase, multihash, varint

from fakenet.node import excerpt
from fakenet.node.id_text import too_long
from fakenet.node.streams import cids
from fakenet.node.streams.codec import as_cid

STREAMID_CODEC = 0xCE
TILE, MODEL, MID, UNLOADABLE = 0, 2, 3, 4


class InvalidStreamID(ValueError):
    """Text that is not a StreamID or CommitID; the message says what was wrong."""


def _read_cid(stream: io.BytesIO) -> CID:
    """Read one binary CIDv1 off the stream: the multihash's own length tells where it ends."""
    start = stream.tell()
    if varint.decode(stream) != 1:
        raise InvalidStreamID("only CIDv1 is used in stream ids")
    varint.decode(stream)  # the content codec
    multihash.unwrap_raw(stream)
    return as_cid(stream.getvalue()[start:stream.tell()])


def _read_prefix(text: str) -> tuple[int, io.BytesIO]:
    """Decode the text and the StreamID prefix; return the stream type and the rest."""
    if not text.startswith("k"):
        raise InvalidStreamID(f"stream ids are base36 text starting with 'k', got {excerpt.quoted(text)}")
    if reason := too_long(text, "a stream id"):
        raise InvalidStreamID(reason)
    try:
        stream = io.BytesIO(multibase.decode(text))
        if varint.decode(stream) != STREAMID_CODEC:
            raise InvalidStreamID(f"{excerpt.quoted(text)} is not a stream id (no 0xce multicodec)")
        return varint.decode(stream), stream
    except InvalidStreamID:
        raise
    except Exception as exc:  # multiformats raises several unrelated types for bad text
        raise InvalidStreamID(f"{excerpt.quoted(text)} is not valid base36 stream id text: {excerpt.clip(str(exc))}") from exc


def _parse(text: str) -> tuple[StreamID, io.BytesIO]:
    stream_type, stream = _read_prefix(text)
    try:
        genesis = _read_cid(stream)
    except InvalidStreamID:
        raise
    except Exception as exc:  # a truncated or garbled CID surfaces as assorted errors
        raise InvalidStreamID(f"{excerpt.quoted(text)} does not hold a valid genesis CID: {exc}") from exc
    return StreamID(stream_type, genesis), stream


BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_PREFIXES = {kind: varint.encode(STREAMID_CODEC) + varint.encode(kind) for kind in (TILE, MODEL, MID, UNLOADABLE)}


@functools.lru_cache(maxsize=65536)
def _base36(data: bytes) -> str:
    """multibase's base36 ('k', the bytes as one big number in lower-case base36, each leading zero
    byte a '0'), written out: multiformats' takes a millisecond, and ids are printed on every
    message and every event taken in. Cached too, for the ids printed again and again."""
    number, digits = int.from_bytes(data, "big"), []
    while number:
        number, digit = divmod(number, 36)
        digits.append(BASE36[digit])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "k" + "0" * zeros + "".join(reversed(digits))


@dataclass(frozen=True)
class StreamID:
    type: int
    genesis: CID

    def __post_init__(self):
        object.__setattr__(self, "genesis", as_cid(self.genesis))

    def __hash__(self) -> int:
        """The genesis digest's hash (bytes cache their own): the dataclass hash went through
        multiformats' CID and Multicodec hashes, tuples of properties at ~10 µs a lookup, and a
        StreamID keys the stream cache and most per-stream maps. Equal ids have equal digests."""
        return hash((self.type, self.genesis.digest))

    def to_bytes(self) -> bytes:
        # Without multiformats' checked varint and CID calls (~100 µs): an event taken in prints its
        # stream's id several times (feed row, index, logs).
        prefix = _PREFIXES[self.type] if self.type in _PREFIXES else varint.encode(STREAMID_CODEC) + varint.encode(self.type)
        return prefix + cids.to_bytes(self.genesis)

    def encode(self) -> str:
        return _base36(self.to_bytes())

    def __str__(self) -> str:
        return self.encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> StreamID:
        """As a genesis header names a Model: the binary id, without multibase."""
        return cls.parse(_base36(bytes(data)))

    @classmethod
    def parse(cls, text: str) -> StreamID:
        try:
            return _parse_stream_id(text)
        except TypeError:  # unhashable (a peer may send any JSON): parse uncached, to the same error
            return _parse_stream_id.__wrapped__(text)


@functools.lru_cache(maxsize=65536)
def _parse_stream_id(text: str) -> StreamID:
    """Cached: base36 decoding takes milliseconds, and every search message names its stream."""
    stream_id, rest = _parse(text)
    if rest.read(1):
        raise InvalidStreamID(f"{excerpt.quoted(text)} is a CommitID, not a StreamID; parse it with CommitID.parse")
    return stream_id


@dataclass(frozen=True)
class CommitID:
    """A stream at one commit; `commit` is None for the genesis commit (encoded as varint 0)."""

    stream_id: StreamID
    commit: CID | None = None

    def __post_init__(self):
        # The genesis commit has one encoding only, so that equal CommitIDs compare equal.
        if self.commit is not None and as_cid(self.commit) == self.stream_id.genesis:
            object.__setattr__(self, "commit", None)
        elif self.commit is not None:
            object.__setattr__(self, "commit", as_cid(self.commit))

    @property
    def cid(self) -> CID:
        """The commit this id points at, genesis included."""
        return self.commit if self.commit is not None else self.stream_id.genesis

    def to_bytes(self) -> bytes:
        tail = bytes(self.commit) if self.commit is not None else varint.encode(0)
        return self.stream_id.to_bytes() + tail

    def encode(self) -> str:
        return _base36(self.to_bytes())

    def __str__(self) -> str:
        return self.encode()

    @classmethod
    def parse(cls, text: str) -> CommitID:
        stream_id, rest = _parse(text)
        tail = rest.read()
        if not tail:
            raise InvalidStreamID(f"{excerpt.quoted(text)} is a StreamID, not a CommitID (no commit part)")
        if tail == b"\x00":
            return cls(stream_id, None)
        try:
            return cls(stream_id, _read_cid(io.BytesIO(tail)))
        except Exception as exc:  # a truncated or garbled CID surfaces as assorted errors
            raise InvalidStreamID(f"{excerpt.quoted(text)} does not hold a valid commit CID: {exc}") from exc
