"""The commits of a tile stream, how they are built, signed and taken apart again.

    genesis  {"header": {"controllers": [did], "unique": 12 bytes, "family"?, "tags"?}, "data": content}
    update   {"id": genesis CID, "prev": previous CID, "header": {}, "data": [JSON-Patch ops]}
    anchor   {"id": genesis CID, "prev": tip CID,
              "proof": {"chain", "blockHash", "blockHeight", "root", "path"}}

Genesis and update commits are signed as Ceramic signs them, in DAG-JOSE (jose.py): a JWS
whose payload links to the commit's dag-cbor block; decoded they read as

    {"payload": commit, "signatures": [{"protected": {"alg": "EdDSA", "kid": did}, "signature": bytes}]}

Streams written by earlier fakenet versions used that shape as one dag-cbor block, signed over
dag-cbor(payload); such commits are still read. A genesis may also be unsigned (a bare dag-cbor
`{"header", ...}` without content, Ceramic's deterministic tile): its first update must then
be signed by a controller. Anchor commits are not signed: the chain proves them, and the
caller checks the proof against its chain before applying one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import jsonpatch
from multiformats import CID

from fakenet.node import entropy, excerpt
from fakenet.node.streams import codec, jose, keys
from fakenet.node.streams.errors import CommitRejected

if TYPE_CHECKING:
    from fakenet.node.streams.keys import ControllerKey
    from fakenet.node.streams.state import StreamState

ALG = "EdDSA"
UNIQUE_BYTES = 12
JSON_SCALARS = (str, int, float, bool, type(None))
PROOF_FIELDS = {"chain": str, "blockHash": str, "blockHeight": int, "root": str, "path": list}


def sign(key: ControllerKey, payload: dict) -> tuple[CID, bytes]:
    return jose.sign(key, payload)


def make_genesis(key: ControllerKey, content: Any, *, family: str | None = None,
                 tags: list[str] | None = None, unique: bytes | None = None) -> tuple[CID, bytes]:
    """A new stream; `unique` makes two streams with the same content and controller distinct."""
    unique = entropy.token_bytes(UNIQUE_BYTES) if unique is None else unique
    header: dict[str, Any] = {"controllers": [key.did], "unique": unique}
    if family is not None:
        header["family"] = family
    if tags is not None:
        header["tags"] = list(tags)
    return sign(key, {"header": header, "data": content})


# Past this many values in the old and new content together, an update is one replace of the whole
# content (RFC 6902's path "", a valid patch every reader applies) and no diff is made: jsonpatch's diff
# of 300,000 ints took 40 CPU s with the loop blocked, and made a 10 MB commit of 300,000 ops with full
# paths that no peer's frame limit lets through. 5,000 diff in ~0.1 s.
DIFF_VALUES = 5_000


def make_update(key: ControllerKey, state: StreamState, new_content: Any) -> tuple[CID, bytes]:
    return sign(key, {"id": state.stream_id.genesis, "prev": state.tip, "header": {},
                      "data": patch_between(state.content, new_content)})


def patch_between(old: Any, new: Any) -> list[dict]:
    """The smaller of a diff and one replace of the whole content: a diff's ops each carry a full path,
    so changing every item of a long-keyed array costs far more than the content itself."""
    whole = [{"op": "replace", "path": "", "value": new}]
    if values_over(DIFF_VALUES, old, new):
        return whole
    diff = jsonpatch.make_patch(old, new).patch
    return diff if len(codec.to_bytes(diff)) <= len(codec.to_bytes(whole)) else whole


def values_over(limit: int, *contents: Any) -> bool:
    """Whether the contents hold more than `limit` values (containers and scalars), counted only that far."""
    count, stack = 0, list(contents)
    while stack:
        value = stack.pop()
        count += 1
        if count > limit:
            return True
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def make_anchor(state: StreamState, proof: dict) -> tuple[CID, bytes]:
    """Deterministic (no signature, no nonce), so every node that sees the same proof of the
    same tip derives the same anchor commit and CID."""
    check_proof(proof)
    return codec.encode({"id": state.stream_id.genesis, "prev": state.tip, "proof": dict(proof)})


def check_proof(proof: Any) -> None:
    """Shape only: whether the block is really on the chain is the caller's question."""
    if not isinstance(proof, dict):
        raise CommitRejected(f"anchor proof must be a map, got {type(proof).__name__}")
    for field, kind in PROOF_FIELDS.items():
        if not isinstance(proof.get(field), kind) or isinstance(proof.get(field), bool):
            raise CommitRejected(f"anchor proof field {excerpt.quoted(field)} missing or not a {kind.__name__}: {excerpt.quoted(proof)}")


def kind_of(obj: Any) -> str:
    """"genesis", "update" or "anchor" for a decoded commit block."""
    if isinstance(obj, dict) and "proof" in obj:
        return "anchor"
    if _is_unsigned_genesis(obj):
        return "genesis"
    payload = obj.get("payload") if isinstance(obj, dict) else None
    if isinstance(payload, dict) and "id" in payload:
        return "update"
    if isinstance(payload, dict) and "header" in payload:
        return "genesis"
    raise CommitRejected(f"not a tile commit: {_preview(obj)}")


def _is_unsigned_genesis(obj: Any) -> bool:
    return (isinstance(obj, dict) and not isinstance(obj, jose.Envelope) and isinstance(obj.get("header"), dict)
            and "payload" not in obj and "signatures" not in obj)


def open_genesis(cid: CID, obj: Any) -> tuple[dict, str | None]:
    """(payload, signer DID or None when unsigned) of a genesis commit. As on Ceramic, a genesis
    with content must be signed, and a tile without content starts as {}."""
    if _is_unsigned_genesis(obj):
        if obj.get("data") is not None:
            raise CommitRejected(f"genesis {cid} has content but no signature: a genesis with content must be signed")
        payload, signer = obj, None
    else:
        payload, signer = open_signed(cid, obj)
    return (payload if payload.get("data") is not None else {**payload, "data": {}}), signer


def open_signed(cid: CID, obj: Any) -> tuple[dict, str]:
    """(payload, signer DID) of a signed commit; CommitRejected unless the signature verifies."""
    try:
        payload = obj["payload"]
        [entry] = obj["signatures"]
        did, alg, signature = entry["protected"]["kid"], entry["protected"]["alg"], entry["signature"]
    except (KeyError, TypeError, ValueError) as exc:
        raise CommitRejected(f"commit {cid} is not a signed envelope ({exc!r}): {_preview(obj)}") from exc
    if alg != ALG or not isinstance(did, str) or not isinstance(signature, bytes):
        raise CommitRejected(f"commit {cid} has an unsupported signature (alg {excerpt.quoted(alg)}, kid {excerpt.quoted(did)})")
    # A DAG-JOSE signature covers the JWS signing input; a legacy envelope's, dag-cbor(payload).
    message = obj.signing_input if isinstance(obj, jose.Envelope) else codec.to_bytes(payload)
    if not keys.verify(did, signature, message):
        raise CommitRejected(f"bad signature on commit {cid}: it does not verify for {did}")
    return payload, did.split("#")[0]


def field(cid: CID, payload: dict, name: str, kind: type) -> Any:
    """A required field of a commit, checked for type, so a malformed commit names what is wrong."""
    value = payload.get(name) if isinstance(payload, dict) else None
    if not isinstance(value, kind):
        raise CommitRejected(f"commit {cid}: field {excerpt.quoted(name)} missing or not a {kind.__name__}")
    return codec.as_cid(value) if kind is CID else value


def check_json(cid: CID, value: Any) -> None:
    """Stream content must stay JSON: dag-cbor could smuggle in bytes or links the API cannot show."""
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise CommitRejected(f"commit {cid}: content has a map key that is not a string")
        for item in value.values():
            check_json(cid, item)
    elif isinstance(value, list):
        for item in value:
            check_json(cid, item)
    elif not isinstance(value, JSON_SCALARS):
        raise CommitRejected(f"commit {cid}: content is not JSON (holds a {type(value).__name__})")


def _preview(obj: Any) -> str:
    text = repr(obj)
    return text if len(text) <= 120 else text[:117] + "..."
