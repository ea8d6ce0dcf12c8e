"""Events as ceramic-one takes them (a multibase CAR whose root is the event) and the commits
the stream store keeps, both ways.

    signed init/data event   root: DAG-JOSE envelope (dag-jose block), plus the dag-cbor payload
                             it links to; kept as jose.py's record under the envelope's CID
    unsigned init event      root: dag-cbor {"header", "data"?}; kept as is

The CIDs are the same either way, so an event posted here and the commit written on 7007 are
one. Time events (anchors) are refused: anchors here come from fakenet's own chain.
"""

from __future__ import annotations

import base64

import dag_cbor
from multiformats import CID, multibase

from fakenet.node import excerpt
from fakenet.node.ceramic_one import car
from fakenet.node.streams import cids, codec, jose

MAX_EVENT_BYTES = 1 << 20
# multiformats decodes every base through one big integer, in time quadratic in the text: 200 kB
# held the node's event loop 5 s, the 2 MB allowed here minutes (id_text.py). The bases clients
# send events in are read here in linear time; any other is read by multiformats up to this size.
MAX_QUADRATIC_TEXT = 16 * 1024
_ALPHABETS = {  # multibase prefix: (decode, encode) of the text after it, stdlib's and linear
    "m": (lambda t: base64.b64decode(t + "=" * (-len(t) % 4), validate=True),
          lambda raw: base64.b64encode(raw).decode().rstrip("=")),
    "M": (lambda t: base64.b64decode(t, validate=True), lambda raw: base64.b64encode(raw).decode()),
    "u": (lambda t: base64.b64decode(t + "=" * (-len(t) % 4), altchars=b"-_", validate=True),
          lambda raw: base64.urlsafe_b64encode(raw).decode().rstrip("=")),
    "U": (lambda t: base64.b64decode(t, altchars=b"-_", validate=True),
          lambda raw: base64.urlsafe_b64encode(raw).decode()),
    "f": (bytes.fromhex, lambda raw: raw.hex()),
    "F": (bytes.fromhex, lambda raw: raw.hex().upper()),
    "b": (lambda t: base64.b32decode(t.upper() + "=" * (-len(t) % 8)),
          lambda raw: base64.b32encode(raw).decode().lower().rstrip("=")),
    "B": (lambda t: base64.b32decode(t + "=" * (-len(t) % 8)), lambda raw: base64.b32encode(raw).decode().rstrip("=")),
}


def _linear(text: str) -> bytes | None:
    """The bytes of text in one of _ALPHABETS, in its one canonical form; None for anything else
    (another base, a stray character or padding bit), which multiformats then reads or refuses."""
    codec = _ALPHABETS.get(text[0])
    if codec is None or not text.isascii():
        return None
    decode, encode = codec
    try:
        raw = decode(text[1:])
    except ValueError:  # binascii.Error is a ValueError
        return None
    return raw if encode(raw) == text[1:] else None


def decode_multibase(text: object, what: str) -> bytes:
    if not isinstance(text, str) or not text:
        raise car.InvalidCar(f"{what} must be multibase text (e.g. 'm' base64, 'u' base64url), got {excerpt.quoted(text)}")
    if len(text) > 2 * MAX_EVENT_BYTES:
        raise car.InvalidCar(f"{what} is over {MAX_EVENT_BYTES} bytes")
    if (raw := _linear(text)) is not None:
        return raw
    if len(text) > MAX_QUADRATIC_TEXT:
        raise car.InvalidCar(f"{what} of {len(text)} characters in multibase {text[0]!r} is refused unread: at most "
                             f"{MAX_QUADRATIC_TEXT}; send bigger events as 'm' base64, 'u' base64url, 'f' hex or 'b' base32")
    try:
        return multibase.decode(text)
    except Exception as exc:  # multiformats raises several unrelated types for bad text
        raise car.InvalidCar(f"{what} is not multibase: {excerpt.clip(str(exc))}") from exc


def from_car(data: bytes) -> tuple[CID, bytes]:
    """(event CID, the commit as the store keeps it) of an event's CAR."""
    roots, blocks = car.decode(data)
    root = roots[0]
    if root not in blocks:
        raise car.InvalidCar(f"the CAR does not hold its root {root}")
    if root.codec.name == jose.DAG_JOSE:
        return jose.pack(blocks[root], _linked(root, blocks))
    if isinstance(_cbor(blocks[root]).get("proof"), CID):
        raise car.InvalidCar("time events (anchors) are not taken: anchors come from this network's chain")
    return root, blocks[root]


def _linked(root: CID, blocks: dict[CID, bytes]) -> bytes:
    envelope = _cbor(blocks[root])
    try:
        link = cids.decode(envelope["payload"])
    except Exception as exc:  # a malformed envelope: KeyError, TypeError or a CID error
        raise car.InvalidCar(f"envelope {root} has no CID payload: {exc!r}") from exc
    if link not in blocks:
        raise car.InvalidCar(f"the CAR lacks the payload block {link} its envelope links to")
    return blocks[link]


def _cbor(data: bytes) -> dict:
    try:
        value = dag_cbor.decode(data)
    except Exception as exc:  # dag_cbor has no single error root
        raise car.InvalidCar(f"a block is not dag-cbor: {exc}") from exc
    if not isinstance(value, dict):
        raise car.InvalidCar("an event block must be a map")
    return value


def to_car(cid: CID, data: bytes) -> bytes:
    """The event's CAR, root first, as ceramic-one gives it in feeds."""
    if cid.codec.name != jose.DAG_JOSE:
        return car.encode([cid], {cid: data})
    record = jose.unpack(cid, data)
    # The payload's CID, made from the linked block instead of read from the JWS: a record is kept
    # only after jose.decode found its payload naming exactly that block (dag-cbor, sha2-256,
    # CIDv1), and a receiver checks the link again (`_linked`). Decoding the JWS cost more than the rest.
    link = cids.of(record.linked, codec.DAG_CBOR)
    return car.encode([cid], {cid: record.jws, link: record.linked})
