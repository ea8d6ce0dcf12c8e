"""Issue 24, "a peer's word is checked, never trusted", for stream gossip (`su`): what a holder does
for a gossiped tip is bounded by what is new in it, never a replay of the log it holds.

Before: receive_update replayed the whole log from genesis for every `su`: an older tip, or one
bad commit on top of the tip, was 1 work unit for ~0.6 s of CPU on a 1,101-commit log, and every
honest update cost O(log length). Now an older tip is recognised in the held log and ignored, an
extension applies only its new commits on the held state (every check kept), and a fork is
checked on its own commits and replayed only if the conflict rules would keep it.

The work is counted, not timed: how many commits are decoded (codec.decode, which also checks the
bytes against the CID) and how many signatures opened (commits.open_signed) per frame.
"""

import asyncio
import dataclasses
import logging

import pytest

from fakenet.node.stream_service import StreamService
from fakenet.node.streams import (AnchorStatus, ControllerKey, PinStore, StreamCache, apply_commit, apply_genesis,
                                  codec, commits, make_anchor, make_genesis, make_update, rebuild,
                                  without_anchor)

OWNER = ControllerKey.from_seed(bytes(range(32)))
LENGTH = 300  # commits held: a replay would decode all of them
PROOF_BLOCK = "ab" * 32


def proof(height):
    return {"chain": "fakenet", "blockHash": PROOF_BLOCK, "blockHeight": height, "root": "11" * 32, "path": []}


class Anchors:
    """Proofs in PROOF_BLOCK hold on this node's chain; requests for anchors are only counted."""

    def __init__(self):
        self.requested = []

    def proven(self, _stream_id, _tip, proof):
        return proof.get("blockHash") == PROOF_BLOCK

    def request(self, stream_id, tip):
        self.requested.append(tip)
        return False


@pytest.fixture(scope="module")
def long_log():
    cid, data = make_genesis(OWNER, {"n": 0})
    state, blocks = apply_genesis(cid, data), {cid: data}
    for n in range(1, LENGTH):
        cid, data = make_update(OWNER, state, {"n": n})
        state, blocks[cid] = apply_commit(state, cid, data), data
    return state, blocks


@pytest.fixture
def holder(tmp_path, long_log):
    """A service holding the long log pinned (as a long-lived stream is), not in its cache."""
    state, blocks = long_log
    pins = PinStore(tmp_path / "state.sqlite")
    service = StreamService(OWNER, StreamCache(10), pins)
    service.anchors = Anchors()
    pins.pin(state, blocks)
    yield service, state
    pins.close()


@pytest.fixture
def work(monkeypatch):
    """Counts of the commits decoded and signatures opened while the test runs."""
    counted = {"decoded": 0, "opened": 0}
    decode, open_signed = codec.decode, commits.open_signed

    def counting_decode(*args, **kwargs):
        counted["decoded"] += 1
        return decode(*args, **kwargs)

    def counting_open(*args, **kwargs):
        counted["opened"] += 1
        return open_signed(*args, **kwargs)
    monkeypatch.setattr(codec, "decode", counting_decode)
    monkeypatch.setattr(commits, "open_signed", counting_open)
    return counted


def their_branch(base):
    """Another writer's two updates on `base`: their tip and blocks."""
    blocks = {}
    for n in ("theirs 1", "theirs 2"):
        cid, blocks[cid] = make_update(OWNER, base, {"n": n})
        base = apply_commit(base, cid, blocks[cid])
    return cid, blocks


def gossip(service, state, tip, blocks):
    asyncio.run(service.receive_update(state.stream_id, tip, blocks, "peer"))
    return service.held(state.stream_id).state


def test_an_older_tip_is_ignored_without_a_replay(holder, work):
    service, state = holder
    for older in (state.log[-2].cid, state.log[LENGTH // 2].cid, state.log[0].cid):
        assert gossip(service, state, older, {}) == state, "a node never goes back to an older verified state"
    assert work == {"decoded": 0, "opened": 0}, f"expected no commit decoded for an older tip, observed {work}"


def test_an_honest_extension_verifies_only_its_new_commits(holder, long_log, work):
    service, state = holder
    blocks, newer = {}, state
    for n in ("a", "b", "c"):
        cid, blocks[cid] = make_update(OWNER, newer, {"n": n})
        newer = apply_commit(newer, cid, blocks[cid])
    acid, blocks[acid] = make_anchor(newer, proof(7))
    work.update(decoded=0, opened=0)
    moved = gossip(service, state, acid, blocks)
    assert work == {"decoded": 4, "opened": 3}, f"expected the 4 new commits checked, observed {work}"
    replayed = rebuild({**long_log[1], **blocks}, acid, anchor_check=service.anchors.proven)
    assert moved == replayed, "the incremental state is the one a full replay yields"
    assert moved.content == {"n": "c"} and moved.anchor_status is AnchorStatus.ANCHORED
    assert service.pins.get(state.stream_id)[0] == moved, "the pin store holds the new state"


@pytest.mark.parametrize("bad", ["signer", "prev", "patch", "other stream"])
def test_a_bad_commit_on_the_tip_is_refused_and_the_state_is_unchanged(holder, work, bad):
    service, state = holder
    base, signer, content = state, OWNER, {"n": "new"}
    if bad == "signer":
        signer = ControllerKey.generate()
    elif bad == "prev":
        base = dataclasses.replace(state, log=state.log + (dataclasses.replace(state.log[-1], cid=codec.cid_of(b"x")),))
    elif bad == "other stream":
        gcid, gdata = make_genesis(OWNER, {"n": 0}, family="elsewhere")
        base = dataclasses.replace(apply_genesis(gcid, gdata), log=state.log)  # names another genesis
    cid, data = make_update(signer, base, content)
    if bad == "patch":  # a patch that does not apply to the held content
        cid, data = commits.sign(OWNER, {"id": state.stream_id.genesis, "prev": state.tip, "header": {},
                                         "data": [{"op": "remove", "path": "/missing"}]})
    work.update(decoded=0, opened=0)
    assert gossip(service, state, cid, {cid: data}) == state
    assert service.pins.get(state.stream_id)[0] == state, "the pin store keeps the verified state"
    assert work["decoded"] <= 2 and work["opened"] <= 1, f"expected the new commit checked alone, observed {work}"


def test_a_bad_commit_under_good_ones_refuses_the_whole_extension(holder):
    service, state = holder
    blocks = {}
    bad, blocks[bad] = make_update(ControllerKey.generate(), state, {"n": "forged"})
    on_bad = dataclasses.replace(state, log=state.log + (dataclasses.replace(state.log[-1], cid=bad),))
    tip, blocks[tip] = make_update(OWNER, on_bad, {"n": "signed on top"})
    assert gossip(service, state, tip, blocks) == state


def test_a_losing_fork_is_checked_on_its_own_commits_only(holder, work, caplog):
    """A two-commit fork off the fourth commit from the tip: the held log is longer and wins, so
    the fork's content is never rebuilt (that would take a replay from genesis)."""
    service, state = holder
    caplog.set_level(logging.INFO, logger="fakenet.node")
    base = dataclasses.replace(state, log=state.log[:-3], content={"n": LENGTH - 4})
    blocks = {}
    for n in ("fork 1", "fork 2"):
        cid, blocks[cid] = make_update(OWNER, base, {"n": n})
        base = apply_commit(base, cid, blocks[cid])
    work.update(decoded=0, opened=0)
    assert gossip(service, state, cid, blocks) == state
    assert work == {"decoded": 2, "opened": 2}, f"expected the fork's 2 commits checked alone, observed {work}"
    assert "stream_update_lost" in caplog.messages, "refused by the conflict rules, not as a bad commit"


def test_a_winning_fork_off_a_state_this_node_held_checks_only_the_fork(holder, long_log, work):
    """Two writers update the same tip at once: the holder moved to one update, then the other
    writer's longer branch arrives. The holder held the fork point's state, so only the branch's
    commits are checked and applied (a replay from genesis would decode all 300)."""
    service, state = holder
    mine, mine_data = make_update(OWNER, state, {"n": "mine"})
    assert gossip(service, state, mine, {mine: mine_data}).content == {"n": "mine"}
    cid, blocks = their_branch(state)
    work.update(decoded=0, opened=0)
    moved = gossip(service, state, cid, blocks)
    # each signature is opened twice: to see whether the fork could win, then to apply it
    assert work["decoded"] == 2 and work["opened"] <= 4, f"expected the branch's 2 commits checked alone, observed {work}"
    assert moved == rebuild({**long_log[1], mine: mine_data, **blocks}, cid) and moved.content == {"n": "theirs 2"}


def test_a_winning_fork_off_a_state_not_remembered_is_replayed_and_kept(holder, long_log):
    """A fork off the commit before the tip, which this node never held (it pinned the log whole),
    one commit longer than the held log: its content at the fork point takes a replay."""
    service, state = holder
    base = dataclasses.replace(state, log=state.log[:-1], content={"n": LENGTH - 2})
    blocks = {}
    first, blocks[first] = make_update(OWNER, base, {"n": "fork 1"})
    base = apply_commit(base, first, blocks[first])
    second, blocks[second] = make_update(OWNER, base, {"n": "fork 2"})
    moved = gossip(service, state, second, blocks)
    assert moved == rebuild({**long_log[1], **blocks}, second) and moved.content == {"n": "fork 2"}


def test_a_forged_anchor_fork_does_not_win(holder):
    """Anchors are unsigned: an anchor on an older commit whose proof is not on this chain stays
    out, and the held state stands without a replay."""
    service, state = holder
    older = dataclasses.replace(state, log=state.log[:-1])
    acid, adata = make_anchor(older, {**proof(1), "blockHash": "00" * 32})
    assert gossip(service, state, acid, {acid: adata}) == state


def test_a_forged_fork_longer_than_the_held_log_is_refused_on_its_own_commits(holder, work):
    """Longer, so it would win: its signatures are checked before any replay, and a stranger's
    commits end it there."""
    service, state = holder
    base, blocks, stranger = dataclasses.replace(state, log=state.log[:-1], content={"n": LENGTH - 2}), {}, ControllerKey.generate()
    for n in ("forged 1", "forged 2"):
        cid, blocks[cid] = make_update(stranger, base, {"n": n})
        base = dataclasses.replace(base, log=base.log + (dataclasses.replace(base.log[-1], cid=cid),), content={"n": n})
    work.update(decoded=0, opened=0)
    assert gossip(service, state, cid, blocks) == state
    assert work["decoded"] == 2 and work["opened"] <= 2, f"expected the fork's 2 commits checked alone, observed {work}"


def test_an_unproven_anchor_on_the_tip_does_not_move_the_state(holder):
    service, state = holder
    acid, adata = make_anchor(state, {**proof(3), "blockHash": "00" * 32})  # not on this node's chain
    assert gossip(service, state, acid, {acid: adata}) == state


def test_a_winning_fork_off_a_state_whose_anchor_was_reorged_out_is_replayed(holder, long_log, work):
    """The holder remembers the state at the fork point, but the chain block proving an anchor in
    it has since been reorged out: the remembered state would bring the dead anchor back, so the
    fork is replayed whole against the chain as it is now."""
    service, state = holder
    acid, adata = make_anchor(state, proof(7))
    anchored = gossip(service, state, acid, {acid: adata})
    assert anchored.anchor_status is AnchorStatus.ANCHORED
    mine, mine_data = make_update(OWNER, anchored, {"n": "mine"})
    gossip(service, state, mine, {mine: mine_data})  # the anchored state is now remembered
    service.anchors.proven = lambda *_: False  # PROOF_BLOCK is no longer on this node's chain
    service.store(without_anchor(service.held(state.stream_id).state, PROOF_BLOCK), {})
    cid, blocks = their_branch(anchored)
    work.update(decoded=0, opened=0)
    moved = gossip(service, state, cid, blocks)
    assert work["decoded"] > LENGTH, f"expected a replay from genesis, observed {work}"
    replayed = rebuild({**long_log[1], acid: adata, **blocks}, cid, anchor_check=service.anchors.proven)
    assert moved == replayed and moved.content == {"n": "theirs 2"}
    assert moved.anchor_status is not AnchorStatus.ANCHORED, "the reorged-out anchor must not come back"
