"""Ceramic's JSON shapes for commits and stream states, as js-ceramic's daemon sends and reads them.

Read from js-ceramic's `StreamUtils` (serializeCommit, deserializeCommit, serializeState) so
that its http-client and the Python clients that copy it read what this node answers:

    signed commit    {"jws": {"payload", "signatures", "link"}, "linkedBlock": base64}   (jose.py)
    unsigned genesis {"header": {...}, "data"?} with CIDs as text and header bytes as base64
    anchor commit    {"id", "prev", "proof": CID text, "path": "0/1/…" from the root down}
    state            {"type", "content", "metadata", "signature", "anchorStatus", "log",
                      "anchorProof"?: {"chainId", "txHash": CID, "root": CID, "blockNumber"}, "doctype"}

Fakenet's own fields stay alongside where a client ignores them (`anchorHeight`, `anchorBlock`
on log entries, `blockHash` on the proof); the internal form (StreamState.to_json, kept by the
pin store and the JSON-RPC API) is unchanged.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import dag_cbor
from multiformats import CID, multihash

from fakenet.node import excerpt
from fakenet.node.streams import codec, jose
from fakenet.node.streams.errors import CommitRejected
from fakenet.node.streams.state import StreamState
from fakenet.node.streams.streamid import MID, MODEL, TILE

STREAM_TYPES = {TILE: "tile", MODEL: "model", MID: "MID"}  # the types this node models -> Ceramic's name
KNOWN_TYPES = {0: "tile", 1: "caip10-link", 2: "model", 3: "MID", 4: "UNLOADABLE"}
SIGNATURE_GENESIS, SIGNATURE_SIGNED = 0, 2  # js-ceramic's SignatureStatus
_HEADER_BYTES = ("unique", "model", "context")  # header fields js-ceramic sends as base64


class UnsupportedStreamType(CommitRejected):
    """A stream type this node does not model; the message names it."""


def check_type(stream_type: Any) -> int:
    """The `type` of a create request, as a number this node models (js clients send numbers)."""
    number = stream_type if isinstance(stream_type, int) and not isinstance(stream_type, bool) else None
    if isinstance(stream_type, str):
        number = next((n for n, name in KNOWN_TYPES.items() if name == stream_type), None)
    if number not in STREAM_TYPES:
        name = KNOWN_TYPES.get(number, "unknown") if number is not None else "unknown"
        raise UnsupportedStreamType(f"stream type {excerpt.quoted(stream_type)} ({name}) is not supported: "
                                    f"this node models {', '.join(f'{n} ({t})' for n, t in STREAM_TYPES.items())}")
    return number


# -- commits ------------------------------------------------------------------------------------

def commit_from_wire(value: Any) -> tuple[CID, bytes]:
    """(CID, block) of a commit a client sent: a signed container or an unsigned genesis."""
    if isinstance(value, dict) and "jws" in value:
        return jose.from_wire(value)
    if isinstance(value, dict) and isinstance(value.get("header"), dict) and "signatures" not in value:
        return codec.encode(_genesis_from_json(value))
    raise CommitRejected("a commit is a signed {\"jws\", \"linkedBlock\"} container, or an unsigned genesis "
                         "{\"header\": {...}}; unsigned updates are not accepted")


def _genesis_from_json(value: dict) -> dict:
    header = dict(value["header"])
    for name in _HEADER_BYTES:
        if isinstance(header.get(name), str):
            header[name] = _base64(header[name], f"header.{name}")
    return {**value, "header": header}


def _base64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CommitRejected(f"{what} is not base64: {exc}") from exc


def commit_to_wire(cid: CID, data: bytes) -> Any:
    if cid.codec.name == jose.DAG_JOSE:
        return jose.to_wire(cid, data)
    obj = dag_cbor.decode(data)
    if isinstance(obj, dict) and isinstance(obj.get("proof"), dict):
        return {"id": codec.cid_text(obj["id"]), "prev": codec.cid_text(obj["prev"]),
                "proof": str(proof_cid(obj["proof"])), "path": merkle_path(obj["proof"].get("path", []))}
    return _jsonable(obj)  # an unsigned genesis, or a commit in fakenet's earlier envelope


def _jsonable(obj: Any) -> Any:
    """CIDs as text and bytes as base64, as js-ceramic serialises header bytes."""
    if isinstance(obj, CID):
        return codec.cid_text(obj)
    if isinstance(obj, bytes):
        return base64.b64encode(obj).decode()
    if isinstance(obj, dict):
        return {key: _jsonable(item) for key, item in obj.items()}
    if isinstance(obj, list):
        return [_jsonable(item) for item in obj]
    return obj


# -- anchor proofs -------------------------------------------------------------------------------

def merkle_path(path: list) -> str:
    """Fakenet's [side, sibling] steps from the leaf up as Ceramic's path from the root down:
    0 where the leaf's branch goes left, 1 where it goes right."""
    return "/".join("1" if step[0] == "L" else "0" for step in reversed(path))


def proof_cid(proof: dict) -> CID:
    """A stable name for the proof, as Ceramic names its proof block (not stored as a block here)."""
    return codec.encode({key: value for key, value in proof.items() if key != "path"})[0]


def _tx_cid(proof: dict) -> CID:
    """The anchoring transaction as IPLD names bitcoin transactions (bitcoin-tx, double sha256 of
    the serialised tx, in internal byte order); proofs written before txHash was recorded name the
    block instead."""
    if isinstance(proof.get("txHash"), str):
        return CID("base32", 1, "bitcoin-tx", multihash.wrap(bytes.fromhex(proof["txHash"])[::-1], "dbl-sha2-256"))
    return CID("base32", 1, "bitcoin-block", multihash.wrap(bytes.fromhex(proof["blockHash"])[::-1], "dbl-sha2-256"))


def proof_to_wire(proof: dict, chain_id: str) -> dict:
    """Ceramic's AnchorProof: the Merkle root is sha256(left ‖ right), a raw block's sha2-256 CID."""
    return {"chainId": chain_id, "txHash": str(_tx_cid(proof)),
            "root": str(CID("base32", 1, "raw", multihash.wrap(bytes.fromhex(proof["root"]), "sha2-256"))),
            "blockNumber": proof["blockHeight"], "blockHash": proof["blockHash"], "txType": "raw"}


# -- states --------------------------------------------------------------------------------------

def is_signed(cid: CID, data: bytes | None) -> bool:
    """Whether a commit carries a signature; a block this node does not hold counts as signed."""
    if data is None or cid.codec.name == jose.DAG_JOSE:
        return True
    obj = dag_cbor.decode(data)
    return isinstance(obj, dict) and "signatures" in obj


def state_to_wire(state: StreamState, blocks: dict[CID, bytes], chain_id: str) -> dict:
    """`{"streamId", "state"}` as js-ceramic's daemon answers a load, create or commit."""
    signed = any(entry.kind == "update" or is_signed(entry.cid, blocks.get(entry.cid)) for entry in state.log)
    wire = {"type": state.stream_id.type, "content": state.content, "metadata": state.metadata(),
            "signature": SIGNATURE_SIGNED if signed else SIGNATURE_GENESIS,
            "anchorStatus": state.anchor_status.value, "log": [entry.to_json() for entry in state.log],
            "doctype": STREAM_TYPES.get(state.stream_id.type, KNOWN_TYPES.get(state.stream_id.type, "unknown"))}
    if state.anchor_proof is not None:
        wire["anchorProof"] = proof_to_wire(state.anchor_proof, chain_id)
    return {"streamId": state.stream_id.encode(), "state": wire}


def chain_id(genesis_hash: str) -> str:
    """CAIP-2 id of a bitcoin-like chain: bip122 and the first 32 hex digits of its genesis hash."""
    return f"bip122:{genesis_hash[:32]}"
