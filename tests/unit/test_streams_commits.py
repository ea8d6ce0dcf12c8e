"""Applying commits: replay, the reasons a commit is rejected, rebuild, reorged anchors, JSON."""

import dataclasses

import dag_cbor
import pytest

from fakenet.node.streams import (
    AnchorStatus, CommitRejected, ControllerKey, MissingCommit, StreamState, apply_anchor, apply_commit,
    apply_genesis, codec, commits, jose, make_anchor, make_genesis, make_update, rebuild, without_anchor,
)

OWNER = ControllerKey.from_seed(bytes(range(32)))
STRANGER = ControllerKey.from_seed(bytes(range(1, 33)))


def proof(height: int, block_hash: str = "aa" * 32) -> dict:
    return {"chain": "fakenet", "blockHash": block_hash, "blockHeight": height, "root": "bb" * 32, "path": [0]}


def created(content=None) -> tuple[StreamState, dict]:
    cid, data = make_genesis(OWNER, {"n": 0} if content is None else content, family="notes", tags=["a"])
    return apply_genesis(cid, data, local=True), {cid: data}


def updated(state: StreamState, blocks: dict, content, key=OWNER) -> StreamState:
    cid, data = make_update(key, state, content)
    blocks[cid] = data
    return apply_commit(state, cid, data, local=True)


def anchored(state: StreamState, blocks: dict, height: int, block_hash: str = "aa" * 32) -> StreamState:
    cid, data = make_anchor(state, proof(height, block_hash))
    blocks[cid] = data
    return apply_anchor(state, cid, data)


def test_genesis_and_three_updates_replay_to_the_last_content():
    state, blocks = created()
    for n in (1, 2, 3):
        state = updated(state, blocks, {"n": n, "seen": list(range(n))})
    assert state.content == {"n": 3, "seen": [0, 1, 2]}
    assert [entry.kind for entry in state.log] == ["genesis", "update", "update", "update"]
    assert state.controllers == (OWNER.did,) and state.family == "notes" and state.tags == ("a",)
    assert state.anchor_status is AnchorStatus.PENDING
    assert rebuild(blocks, state.tip).content == state.content


def test_update_by_a_non_controller_is_rejected_with_both_names():
    state, _ = created()
    cid, data = make_update(STRANGER, state, {"n": 666})
    with pytest.raises(CommitRejected) as caught:
        apply_commit(state, cid, data)
    assert str(caught.value) == (f"update not signed by a controller of {state.stream_id}: "
                                 f"signed by {STRANGER.did}")


def test_update_on_an_old_tip_is_an_unknown_prev():
    state, blocks = created()
    newer = updated(state, blocks, {"n": 1})
    cid, data = make_update(OWNER, state, {"n": 2})  # built on genesis, not on the tip
    with pytest.raises(CommitRejected, match=f"unknown prev {state.tip} for {state.stream_id}"):
        apply_commit(newer, cid, data)


def test_update_of_another_stream_is_rejected():
    state, _ = created()
    other, _ = created()
    cid, data = make_update(OWNER, other, {"n": 1})
    with pytest.raises(CommitRejected, match=f"belongs to stream {other.stream_id}, not {state.stream_id}"):
        apply_commit(state, cid, data)


def test_a_tampered_signature_is_rejected():
    state, _ = created()
    _, data = make_update(OWNER, state, {"n": 1})
    record = jose.unpack(None, data)
    jws = dag_cbor.decode(record.jws)
    signature = jws["signatures"][0]["signature"]
    jws["signatures"][0]["signature"] = bytes([signature[0] ^ 1]) + signature[1:]
    cid, forged = jose.pack(dag_cbor.encode(jws), record.linked)
    with pytest.raises(CommitRejected, match="bad signature"):
        apply_commit(state, cid, forged)


def test_a_tampered_payload_is_rejected():
    state, _ = created()
    _, data = make_update(OWNER, state, {"n": 1})
    record = jose.unpack(None, data)
    payload = dag_cbor.decode(record.linked)
    payload["data"] = [{"op": "replace", "path": "/n", "value": 666}]
    tampered = dag_cbor.encode(payload)
    jws = dag_cbor.decode(record.jws)
    jws["payload"] = bytes(codec.cid_of(tampered))  # the JWS now names the tampered block
    cid, forged = jose.pack(dag_cbor.encode(jws), tampered)
    with pytest.raises(CommitRejected, match="bad signature"):
        apply_commit(state, cid, forged)


def test_a_bad_json_patch_is_rejected():
    state, _ = created()
    payload = {"id": state.stream_id.genesis, "prev": state.tip, "header": {},
               "data": [{"op": "remove", "path": "/missing"}]}
    cid, data = commits.sign(OWNER, payload)
    with pytest.raises(CommitRejected, match="bad JSON-Patch"):
        apply_commit(state, cid, data)


@pytest.mark.parametrize("commit", [{"hello": "world"}, {"payload": {"id": 1}, "signatures": []}, [1, 2]])
def test_malformed_commits_are_rejected(commit):
    state, _ = created()
    cid, data = codec.encode(commit)
    with pytest.raises(CommitRejected):
        apply_commit(state, cid, data)


def test_an_anchor_goes_through_apply_anchor_only():
    state, blocks = created()
    cid, data = make_anchor(state, proof(5))
    with pytest.raises(CommitRejected, match="apply_anchor"):
        apply_commit(state, cid, data)
    state = apply_anchor(state, cid, data)
    assert state.anchor_status is AnchorStatus.ANCHORED and state.anchor_proof == proof(5)
    assert state.log[-1].anchor_height == 5


def test_anchor_commits_are_deterministic():
    state, _ = created()
    assert make_anchor(state, proof(5)) == make_anchor(state, proof(5))


def test_rebuild_with_a_missing_block_names_the_stream_and_the_cid():
    state, blocks = created()
    state = updated(state, blocks, {"n": 1})
    middle = state.tip
    state = updated(state, blocks, {"n": 2})
    del blocks[middle]
    with pytest.raises(MissingCommit) as caught:
        rebuild(blocks, state.tip)
    assert caught.value.cid == middle and caught.value.stream_id == state.stream_id
    assert str(middle) in str(caught.value) and str(state.stream_id) in str(caught.value)


def test_rebuild_replays_anchors_and_marks_a_peer_stream_not_requested():
    state, blocks = created()
    state = anchored(updated(state, blocks, {"n": 1}), blocks, 9)
    state = updated(state, blocks, {"n": 2})
    replayed = rebuild(blocks, state.tip)
    assert replayed.log == state.log and replayed.content == {"n": 2}
    assert replayed.anchor_status is AnchorStatus.NOT_REQUESTED


def test_an_anchor_reorged_out_at_the_tip_is_dropped_and_pending_again():
    state, blocks = created()
    before = updated(state, blocks, {"n": 1})
    after = without_anchor(anchored(before, blocks, 9, "cc" * 32), "cc" * 32)
    assert after.log == before.log
    assert after.anchor_status is AnchorStatus.PENDING and after.anchor_proof is None


def test_an_anchor_reorged_out_deeper_in_the_log_stops_counting():
    state, blocks = created()
    state = updated(anchored(state, blocks, 9, "cc" * 32), blocks, {"n": 1})
    after = without_anchor(state, "cc" * 32)
    assert [entry.cid for entry in after.log] == [entry.cid for entry in state.log]
    assert after.log[1].anchor_height is None and after.anchor_status is AnchorStatus.PENDING
    assert without_anchor(after, "dd" * 32) == after


def test_state_json_round_trip_in_ceramic_shape():
    state, blocks = created({"title": "x", "tags": [1, 2.5, None, True]})
    state = anchored(updated(state, blocks, {"title": "y"}), blocks, 12)
    doc = state.to_json()
    assert doc["streamId"] == str(state.stream_id)
    assert doc["state"]["metadata"] == {"controllers": [OWNER.did], "family": "notes", "tags": ["a"]}
    assert [entry["type"] for entry in doc["state"]["log"]] == [0, 1, 2]
    assert doc["state"]["anchorStatus"] == "ANCHORED" and doc["state"]["anchorProof"] == proof(12)
    assert StreamState.from_json(doc) == state
    bare = dataclasses.replace(state, family=None, tags=(), anchor_proof=None)
    assert StreamState.from_json(bare.to_json()) == bare


def test_content_must_stay_json():
    cid, data = make_genesis(OWNER, {"blob": b"\x00"})
    with pytest.raises(CommitRejected, match="not JSON"):
        apply_genesis(cid, data)
