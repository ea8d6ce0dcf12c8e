"""Ceramic's wire shapes: DAG-JOSE commits as clients send them, unsigned genesis, anchor proofs, states."""

import base64
import json

import dag_cbor
import pytest
from multiformats import CID
from nacl.signing import SigningKey

from fakenet.node.streams import (CommitRejected, ControllerKey, apply_anchor, apply_genesis, cid_of, jose,
                                  make_anchor, make_genesis, wire)

OWNER = ControllerKey.from_seed(bytes(range(32)))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def client_signed(payload: dict) -> dict:
    """A commit signed the way the Python clients sign it, written here from the JWS spec."""
    linked = dag_cbor.encode(payload)
    link = cid_of(linked)
    protected = _b64url(json.dumps({"alg": "EdDSA", "kid": f"{OWNER.did}#{OWNER.did[8:]}"}).encode())
    signing_input = f"{protected}.{_b64url(bytes(link))}".encode()
    signature = SigningKey(bytes(range(32))).sign(signing_input).signature
    return {"jws": {"payload": _b64url(bytes(link)), "link": str(link),
                    "signatures": [{"protected": protected, "signature": _b64url(signature)}]},
            "linkedBlock": base64.b64encode(linked).decode()}  # padded, as Python clients send it


def test_a_client_signed_genesis_starts_a_stream_with_a_ceramic_style_id():
    cid, data = wire.commit_from_wire(client_signed({"header": {"controllers": [OWNER.did], "unique": "x"},
                                                     "data": {"a": 1}}))
    state = apply_genesis(cid, data)
    assert str(cid).startswith("bagcqcera") and state.stream_id.encode().startswith("kjzl6cwe1")
    assert state.content == {"a": 1} and state.controllers == (OWNER.did,)
    assert wire.commit_from_wire(wire.commit_to_wire(cid, data)) == (cid, data)


def test_a_tampered_linked_block_is_rejected():
    signed = client_signed({"header": {"controllers": [OWNER.did]}, "data": {"a": 1}})
    signed["linkedBlock"] = base64.b64encode(dag_cbor.encode({"header": {"controllers": [OWNER.did]},
                                                              "data": {"a": 2}})).decode()
    with pytest.raises(CommitRejected, match="linked block is not the one"):
        apply_genesis(*wire.commit_from_wire(signed))


def test_an_unsigned_genesis_has_no_content_and_a_k2t6wy_id():
    cid, data = wire.commit_from_wire({"header": {"controllers": [OWNER.did], "family": "f"}})
    state = apply_genesis(cid, data)
    assert state.stream_id.encode().startswith("k2t6wy") and state.content == {}
    assert wire.state_to_wire(state, {cid: data}, "bip122:x")["state"]["signature"] == wire.SIGNATURE_GENESIS
    with pytest.raises(CommitRejected, match="must be signed"):
        apply_genesis(*wire.commit_from_wire({"header": {"controllers": [OWNER.did]}, "data": {"a": 1}}))


def test_an_anchored_state_has_ceramics_anchor_proof_with_cids():
    cid, data = make_genesis(OWNER, {"a": 1})
    state = apply_genesis(cid, data, local=True)
    proof = {"chain": "fakenet", "blockHash": "aa" * 32, "blockHeight": 3, "root": "bb" * 32,
             "path": [["R", "cc" * 32], ["L", "dd" * 32]], "txHash": "ee" * 32}
    anchor_cid, anchor = make_anchor(state, proof)
    state = apply_anchor(state, anchor_cid, anchor)
    doc = wire.state_to_wire(state, {cid: data, anchor_cid: anchor}, wire.chain_id("ff" * 32))
    wire_proof = doc["state"]["anchorProof"]
    assert wire_proof["chainId"] == "bip122:" + "f" * 32 and wire_proof["blockNumber"] == 3
    assert CID.decode(wire_proof["txHash"]).codec.name == "bitcoin-tx"
    assert CID.decode(wire_proof["root"]).digest[-32:] == bytes.fromhex("bb" * 32)
    assert doc["state"]["doctype"] == "tile" and [e["type"] for e in doc["state"]["log"]] == [0, 2]
    assert wire.commit_to_wire(anchor_cid, anchor)["path"] == "1/0"


@pytest.mark.parametrize("stream_type", [1, "caip10-link", 99, True, None])
def test_unmodelled_stream_types_are_named_in_the_error(stream_type):
    with pytest.raises(CommitRejected, match=rf"stream type {stream_type!r} .* is not supported"):
        wire.check_type(stream_type)


@pytest.mark.parametrize(("stream_type", "number"), [(0, 0), ("tile", 0), (2, 2), ("model", 2), (3, 3), ("MID", 3)])
def test_modelled_stream_types_are_taken_by_number_or_name(stream_type, number):
    assert wire.check_type(stream_type) == number


def test_jose_records_refuse_garbage():
    with pytest.raises(CommitRejected):
        jose.unpack(None, b"\xff")


@pytest.mark.parametrize("jws_size", [0, 23, 24, 255, 256, 65535, 65536])
def test_jose_records_are_written_and_read_as_dag_cbor_writes_and_reads_them(jws_size):
    jws, linked = bytes(range(256)) * (jws_size // 256) + bytes(jws_size % 256), b"\xa1ax\x01"
    written = dag_cbor.encode({"jws": jws, "linkedBlock": linked})
    assert jose.pack(jws, linked)[1] == written and jose._unpack.__wrapped__(written) == (jws, linked)
    # Not the exact canonical form: left to dag_cbor (which reads or refuses it), never guessed at.
    for other in (written[:-1], written + b"\0", written.replace(b"jws", b"jwz", 1)):
        assert jose._read_record(other) is None
