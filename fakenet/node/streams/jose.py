"""Signed commits as Ceramic writes them: DAG-JOSE, a JWS whose payload is the CID of a dag-cbor block.

On the wire (js-ceramic's `serializeCommit`, and every client) a signed commit is

    {"jws": {"payload": b64url(CID bytes), "signatures": [{"protected": b64url(JSON header),
             "signature": b64url}], "link": "bafy…"}, "linkedBlock": base64(dag-cbor commit)}

The commit is named by the CID of the JWS block (codec dag-jose, `bagcqcera…`), so a genesis
signed this way gives the `kjzl6cwe1…` stream ids Ceramic gives. The signature covers
`b64url(protected) "." b64url(payload)`, as in any JWS.

This node keeps the two blocks as one record under the JWS CID, dag-cbor
`{"jws": <dag-jose block>, "linkedBlock": <dag-cbor block>}`: the cache, the pin store and log
sync between peers then keep one entry per commit, as they do for every other commit.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from typing import TYPE_CHECKING, Any, NamedTuple

import dag_cbor
from multiformats import CID

from fakenet.node import strict_json
from fakenet.node.streams import cids
from fakenet.node.streams.errors import CommitRejected

if TYPE_CHECKING:
    from fakenet.node.streams.keys import ControllerKey

DAG_JOSE = "dag-jose"
DAG_CBOR = "dag-cbor"
HASH = "sha2-256"
ALG = "EdDSA"


class Record(NamedTuple):
    jws: bytes  # the dag-jose block: the bytes the commit's CID names
    linked: bytes  # the dag-cbor block the JWS payload links to: the commit's fields


class Envelope(dict):
    """A decoded DAG-JOSE commit, shaped as `{"payload", "signatures": [{"protected", "signature"}]}`
    like every signed commit here. A distinct type, so the signing input it carries can never come
    from a block's own bytes (a dag-cbor map that named its own signing input would verify anything)."""

    def __init__(self, payload: dict, signatures: list[dict], signing_input: bytes):
        super().__init__(payload=payload, signatures=signatures)
        self.signing_input = signing_input


def _cid(data: bytes, codec: str) -> CID:
    return cids.of(data, codec)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: Any, what: str, *, url: bool) -> bytes:
    """Decode base64 with or without padding; clients differ (Python ones pad, js-ceramic's do not)."""
    if not isinstance(text, str):
        raise CommitRejected(f"{what} must be a base64 string, got {type(text).__name__}")
    try:
        padded = text + "=" * (-len(text) % 4)
        return base64.urlsafe_b64decode(padded) if url else base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CommitRejected(f"{what} is not valid base64: {exc}") from exc


def _signing_input(protected: bytes, payload: bytes) -> bytes:
    return f"{b64url(protected)}.{b64url(payload)}".encode()


def pack(jws: bytes, linked: bytes) -> tuple[CID, bytes]:
    """(the commit's CID, the record this node stores under it)."""
    return _cid(jws, DAG_JOSE), _record_bytes(jws, linked)


def _record_bytes(jws: bytes, linked: bytes) -> bytes:
    """dag_cbor.encode({"jws": jws, "linkedBlock": linked}) written out (keys in dag-cbor's
    length-first order): every event taken in is packed, and dag_cbor checks each value's type
    at run time first."""
    return _RECORD_HEAD + _bytes_head(len(jws)) + jws + _LINKED_KEY + _bytes_head(len(linked)) + linked


_RECORD_HEAD = bytes([0xA2, 0x63]) + b"jws"  # map(2), text(3) "jws"
_LINKED_KEY = bytes([0x6B]) + b"linkedBlock"  # text(11)


def _bytes_head(size: int) -> bytes:
    """A dag-cbor byte string's head: major type 2 and the length in its shortest form."""
    if size < 24:
        return bytes([0x40 + size])
    for marker, width in ((0x58, 1), (0x59, 2), (0x5A, 4), (0x5B, 8)):
        if size < 1 << (8 * width):
            return bytes([marker]) + size.to_bytes(width, "big")
    raise ValueError(f"a block of {size} bytes")


def _read_record(data: bytes) -> Record | None:
    """The record, if `data` is exactly what _record_bytes writes (so dag_cbor would read the
    same); None for anything else, which dag_cbor then reads or refuses."""
    try:
        jws, rest = _bytes_at(data, len(_RECORD_HEAD)) if data.startswith(_RECORD_HEAD) else (None, 0)
        if jws is None or not data.startswith(_LINKED_KEY, rest):
            return None
        linked, end = _bytes_at(data, rest + len(_LINKED_KEY))
    except (IndexError, ValueError):
        return None
    return Record(jws, linked) if linked is not None and end == len(data) and \
        _record_bytes(jws, linked) == data else None


def _bytes_at(data: bytes, at: int) -> tuple[bytes | None, int]:
    head = data[at]
    if 0x40 <= head < 0x58:
        size, start = head - 0x40, at + 1
    elif 0x58 <= head <= 0x5B:
        width = 1 << (head - 0x58)
        size, start = int.from_bytes(data[at + 1:at + 1 + width], "big"), at + 1 + width
    else:
        return None, at
    if start + size > len(data):
        return None, at
    return data[start:start + size], start + size


def unpack(cid: CID, data: bytes) -> Record:
    try:
        return _unpack(data)
    except Exception as exc:  # dag_cbor has no single error root; a peer may send any bytes
        raise CommitRejected(f"block {cid} is not a stored DAG-JOSE commit: {exc!r}") from exc


@functools.lru_cache(maxsize=32)  # records are up to 1 MB: a few, for the event under way, not a store
def _unpack(data: bytes) -> Record:
    """Cached (a Record is immutable, failures are not kept): taking one event in unpacks its record
    about six times on the way (CAR, CID check, decode, replay), each a dag-cbor decode."""
    if (record := _read_record(data)) is not None:  # this node's own records: read without dag_cbor
        return record
    record = dag_cbor.decode(data)
    jws, linked = record["jws"], record["linkedBlock"]
    if not isinstance(jws, bytes) or not isinstance(linked, bytes):
        raise TypeError("jws and linkedBlock must be bytes")
    return Record(jws, linked)


def sign(key: ControllerKey, payload: dict) -> tuple[CID, bytes]:
    """Sign a commit as key-did-provider-ed25519 does: kid is the did:key with its key as fragment."""
    from fakenet.node.streams.codec import to_bytes  # codec imports this module: bind late

    linked = to_bytes(payload)
    link = bytes(_cid(linked, DAG_CBOR))
    protected = json.dumps({"alg": ALG, "kid": f"{key.did}#{key.did.split(':')[-1]}"},
                           separators=(",", ":")).encode()
    signature = key.sign(_signing_input(protected, link))
    jws = dag_cbor.encode({"payload": link, "signatures": [{"protected": protected, "signature": signature}]})
    return pack(jws, linked)


def decode(cid: CID, data: bytes) -> Envelope:
    """The commit a record holds, once the JWS hashes to `cid` and its payload to the linked block."""
    record = unpack(cid, data)
    if _cid(record.jws, DAG_JOSE).digest != cid.digest:
        raise CommitRejected(f"block does not match its CID: {cid} names another JWS")
    try:
        jws = dag_cbor.decode(record.jws)
        link = cids.decode(jws["payload"])
        signatures = [(s["protected"], s["signature"]) for s in jws["signatures"]]
        headers = [strict_json.loads(protected) for protected, _ in signatures]
    except Exception as exc:  # any malformed JWS: dag_cbor, CID and json raise unrelated types
        raise CommitRejected(f"commit {cid} is not a valid JWS: {exc!r}") from exc
    if link.digest != _cid(record.linked, link.codec.name).digest or link.codec.name != DAG_CBOR:
        raise CommitRejected(f"commit {cid}: the linked block is not the one its JWS payload ({link}) names")
    if len(signatures) != 1 or not isinstance(headers[0], dict):
        raise CommitRejected(f"commit {cid}: exactly one signature with a JSON header is supported")
    payload = _decode_cbor(cid, record.linked)
    protected, signature = signatures[0]
    return Envelope(payload, [{"protected": headers[0], "signature": signature}],
                    _signing_input(protected, jws["payload"]))


def _decode_cbor(cid: CID, data: bytes) -> Any:
    try:
        return dag_cbor.decode(data)
    except Exception as exc:  # dag_cbor has no single error root for malformed input
        raise CommitRejected(f"commit {cid}: the linked block is not valid dag-cbor: {exc}") from exc


def from_wire(container: Any) -> tuple[CID, bytes]:
    """A client's `{"jws", "linkedBlock"}` as (commit CID, record); checked by `decode` when applied."""
    if not isinstance(container, dict) or not isinstance(container.get("jws"), dict):
        raise CommitRejected("a signed commit is {\"jws\": {...}, \"linkedBlock\": \"<base64>\"}")
    jws, linked = container["jws"], _unb64(container.get("linkedBlock"), "linkedBlock", url=False)
    signatures = jws.get("signatures")
    if not isinstance(signatures, list) or not all(isinstance(s, dict) for s in signatures):
        raise CommitRejected("jws.signatures must be a list of {\"protected\", \"signature\"}")
    block = {"payload": _unb64(jws.get("payload"), "jws.payload", url=True), "signatures": [
        {"protected": _unb64(s.get("protected"), "jws protected header", url=True),
         "signature": _unb64(s.get("signature"), "jws signature", url=True)} for s in signatures]}
    payload_cid = _safe_cid(block["payload"])
    if payload_cid is None:
        raise CommitRejected("jws.payload is not a CID")
    if "link" in jws and _safe_cid(jws["link"]) != payload_cid:
        raise CommitRejected(f"jws.link {jws['link']!r} is not the CID in jws.payload")
    return pack(dag_cbor.encode(block), linked)


def _safe_cid(data: Any) -> CID | None:
    try:
        return cids.decode(data) if isinstance(data, bytes) else cids.parse(data)
    except Exception:  # multiformats raises several unrelated types for bad bytes
        return None


def to_wire(cid: CID, data: bytes) -> dict:
    """The record as js-ceramic serialises a signed commit (linkedBlock in unpadded base64, as js does)."""
    record = unpack(cid, data)
    jws = dag_cbor.decode(record.jws)
    return {"jws": {"payload": b64url(jws["payload"]),
                    "signatures": [{"protected": b64url(s["protected"]), "signature": b64url(s["signature"])}
                                   for s in jws["signatures"]],
                    "link": cids.text(cids.decode(jws["payload"]))},
            "linkedBlock": base64.b64encode(record.linked).rstrip(b"=").decode()}
