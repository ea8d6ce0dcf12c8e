"""Conflict resolution between two logs of one stream: each rule, and symmetry."""

import functools
import itertools
import random

import pytest

from fakenet.node.streams import (
    ControllerKey, StreamState, apply_anchor, apply_commit, apply_genesis, make_anchor, make_genesis,
    make_update, pick, without_anchor,
)

OWNER = ControllerKey.from_seed(bytes(32))


def genesis() -> StreamState:
    cid, data = make_genesis(OWNER, {"v": 0}, unique=b"conflict-123")
    return apply_genesis(cid, data)


def update(state: StreamState, value) -> StreamState:
    return apply_commit(state, *make_update(OWNER, state, {"v": value}))


def anchor(state: StreamState, height: int) -> StreamState:
    proof = {"chain": "fakenet", "blockHash": f"{height:064x}", "blockHeight": height, "root": "00", "path": []}
    return apply_anchor(state, *make_anchor(state, proof))


ROOT = genesis()


def test_an_anchored_branch_beats_a_longer_unanchored_one():
    anchored = anchor(update(ROOT, "a"), 10)
    longer = update(update(update(ROOT, "b"), "b2"), "b3")
    assert pick(anchored, longer) is anchored


def test_of_two_anchored_branches_the_earlier_anchor_wins():
    early, late = anchor(update(ROOT, "a"), 5), anchor(update(ROOT, "b"), 9)
    assert pick(late, early) is early


def test_the_earlier_anchor_wins_even_when_the_other_tip_is_anchored():
    early = update(anchor(update(ROOT, "a"), 5), "a2")  # anchored first, then moved on
    late = anchor(update(ROOT, "b"), 9)
    assert pick(late, early) is early


def test_unanchored_branches_the_longer_log_wins():
    short, long = update(ROOT, "a"), update(update(ROOT, "b"), "b2")
    assert pick(short, long) is long


def test_an_anchor_both_logs_share_decides_nothing():
    shared = anchor(update(ROOT, "x"), 3)
    short, long = update(shared, "a"), update(update(shared, "b"), "b2")
    assert pick(short, long) is long


def test_equal_length_unanchored_branches_the_lower_tip_cid_wins():
    a, b = update(ROOT, "a"), update(ROOT, "b")
    lower = min(a, b, key=lambda state: bytes(state.tip))
    assert pick(a, b) is lower and pick(b, a) is lower


def test_a_log_that_extends_another_wins():
    old = update(ROOT, "a")
    new = update(old, "a2")
    assert pick(old, new) is new and pick(new, old) is new


def test_an_anchor_whose_block_was_reorged_out_no_longer_counts():
    reorged = without_anchor(update(anchor(update(ROOT, "a"), 5), "a2"), f"{5:064x}")
    longer = update(update(update(update(ROOT, "b"), "b2"), "b3"), "b4")
    assert pick(reorged, longer) is longer


def test_a_newer_log_on_an_early_anchor_beats_a_later_anchored_fork():
    early = anchor(ROOT, 5)
    newer = update(early, "a")  # unanchored tip, but its history was anchored first
    fork = anchor(update(ROOT, "b"), 7)
    assert pick(early, newer) is newer and pick(fork, early) is early and pick(fork, newer) is newer


CANDIDATES = [
    ROOT,
    update(ROOT, "a"),
    update(update(ROOT, "a"), "a2"),
    update(ROOT, "b"),
    anchor(update(ROOT, "c"), 7),
    anchor(update(ROOT, "d"), 4),
    update(anchor(update(ROOT, "d"), 4), "d2"),
    anchor(ROOT, 6),
]


@pytest.mark.parametrize("a, b", list(itertools.combinations(CANDIDATES, 2)))
def test_pick_is_symmetric(a, b):
    assert pick(a, b) == pick(b, a)


def test_one_winner_whatever_order_logs_arrive_in():
    winners = {functools.reduce(pick, order).tip for order in itertools.permutations(CANDIDATES[1:6])}
    assert len(winners) == 1


def test_pick_is_transitive_on_a_random_fork_tree():
    rng = random.Random(10)
    states, heights = [ROOT], [0]
    for n in range(16):
        parent = rng.randrange(len(states))
        height = heights[parent] + rng.randint(1, 4) if rng.random() < 0.4 else heights[parent]
        grown = anchor(states[parent], height) if height > heights[parent] else update(states[parent], n)
        states.append(grown)
        heights.append(height)
    for a, b, c in itertools.permutations(states, 3):
        if pick(a, b) is a and pick(b, c) is b:
            assert pick(a, c) is a


def test_logs_of_different_streams_cannot_be_compared():
    other_cid, other_data = make_genesis(OWNER, {"v": 0})
    with pytest.raises(ValueError, match="different streams"):
        pick(ROOT, apply_genesis(other_cid, other_data))
