"""S1: an anchor commit counts only when its proof holds on the node's own best chain.

Anchor commits are unsigned, so any peer can write one; before this check a forged anchor with
an early block height won conflict resolution and rolled a pinned stream back to its genesis.
"""

import pytest
from bitcoin.core import CScript
from bitcoin.core.script import OP_TRUE

from fakenet.node.anchoring import AnchorService
from fakenet.node.chain import Chain
from fakenet.node.stream_service import StreamService
from fakenet.node.streams import (
    AnchorStatus, ControllerKey, PinStore, StreamCache, apply_anchor, apply_commit, apply_genesis, make_anchor,
    make_genesis, make_update, pick, rebuild,
)

OWNER = ControllerKey.from_seed(bytes(range(32)))
PAY = bytes(CScript([OP_TRUE]))


def forged_proof(height=0):
    return {"chain": "fakenet", "blockHash": "00" * 32, "blockHeight": height, "root": "11" * 32, "path": []}


def pinned_balance():
    """A stream created at {"balance": 0} and updated to {"balance": 200}, with its blocks."""
    cid, data = make_genesis(OWNER, {"balance": 0})
    genesis = apply_genesis(cid, data, local=True)
    blocks = {cid: data}
    ucid, udata = make_update(OWNER, genesis, {"balance": 200})
    blocks[ucid] = udata
    return genesis, apply_commit(genesis, ucid, udata, local=True), blocks


def never(*_):
    return False


def test_a_forged_anchor_on_an_old_tip_no_longer_rolls_a_stream_back():
    genesis, held, blocks = pinned_balance()
    acid, adata = make_anchor(genesis, forged_proof())
    trusted = rebuild({**blocks, acid: adata}, acid)
    assert pick(held, trusted) is trusted, "the attack as it worked before: the earlier 'anchor' wins"
    checked = rebuild({**blocks, acid: adata}, acid, anchor_check=never)
    assert checked.log == genesis.log and checked.anchor_status is AnchorStatus.NOT_REQUESTED
    assert pick(held, checked) is held


def test_a_chain_of_forged_anchors_cannot_outgrow_a_signed_log():
    genesis, held, blocks = pinned_balance()
    state, tip = genesis, None
    for height in range(5):
        tip, data = make_anchor(state, forged_proof(height))
        blocks[tip] = data
        state = apply_anchor(state, tip, data)
    assert pick(held, rebuild(blocks, tip, anchor_check=never)) is held


def test_an_unproven_anchor_inside_a_signed_log_stays_but_does_not_count():
    genesis, _, blocks = pinned_balance()
    acid, adata = make_anchor(genesis, forged_proof())
    anchored = apply_anchor(genesis, acid, adata)
    ucid, udata = make_update(OWNER, anchored, {"balance": 5})
    replayed = rebuild({**blocks, acid: adata, ucid: udata}, ucid, anchor_check=never)
    assert [e.cid for e in replayed.log] == [genesis.tip, acid, ucid]
    assert replayed.log[1].anchor_height is None and replayed.content == {"balance": 5}


@pytest.fixture
def service(tmp_path):
    chain = Chain(tmp_path / "chain.sqlite", "fakenet")
    pins = PinStore(tmp_path / "state.sqlite")
    streams = StreamService(OWNER, StreamCache(10), pins)
    anchors = streams.anchors = AnchorService(chain, streams, "fakenet")
    yield chain, streams, anchors
    chain.close()
    pins.close()


def test_the_proof_a_block_on_the_best_chain_gives_is_proven_and_nothing_else(service):
    chain, streams, anchors = service
    genesis, _, _ = pinned_balance()
    stream_id, tip = genesis.stream_id, genesis.tip
    anchors.request(stream_id.encode(), str(tip))
    block_hash = chain.add_block(chain.mine(PAY)).block_hash
    proof = anchors.proofs(chain.get_index(block_hash))[(stream_id.encode(), str(tip))]
    assert anchors.proven(stream_id, tip, proof)
    assert not anchors.proven(stream_id, tip, {**proof, "blockHeight": 0})
    assert not anchors.proven(stream_id, tip, {**proof, "blockHash": "00" * 32})
    other, _ = make_genesis(OWNER, {"other": 1})
    assert not anchors.proven(stream_id, other, proof), "a proof of another tip"
    assert not anchors.proven(stream_id, tip, forged_proof())


def test_a_proof_from_a_block_reorged_off_the_best_chain_is_not_proven(service):
    chain, streams, anchors = service
    genesis, _, _ = pinned_balance()
    anchors.request(genesis.stream_id.encode(), str(genesis.tip))
    fork_parent = chain.tip().hash
    side = chain.mine(PAY)  # carries the anchor
    anchors.pending.clear()
    chain.transaction_source = list
    main = [chain.add_block(chain.mine(PAY)).block_hash for _ in range(2)]
    assert chain.tip().hash == main[-1] and chain.get_index(main[0]).prev_hash == fork_parent
    side_hash = chain.add_block(side).block_hash
    assert not chain.in_main_chain(side_hash)
    proof = anchors.proofs(chain.get_index(side_hash))[(genesis.stream_id.encode(), str(genesis.tip))]
    assert not anchors.proven(genesis.stream_id, genesis.tip, proof)
