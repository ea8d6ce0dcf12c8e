"""Rendezvous allocation: the contract the oracle relies on, balance, and minimal movement."""

import hashlib
import random
from collections import Counter

import pytest

from fakenet.node.cluster.allocation import allocate, check_factors, score

PEERS = [f"12D3KooWPeer{i:02d}" for i in range(8)]
STREAMS = [f"k2t6wyfsu4pg{i:06d}" for i in range(2000)]


def test_score_is_the_documented_sha256_of_stream_slash_peer():
    digest = hashlib.sha256(b"kstream/12D3KooWPeer").digest()
    assert score("kstream", "12D3KooWPeer") == int.from_bytes(digest, "big")


def test_allocation_takes_the_rmax_highest_scores():
    ranked = sorted(PEERS, key=lambda p: -score("kx", p))
    assert allocate("kx", PEERS, 2, 3) == ranked[:3]


def test_allocation_does_not_depend_on_order_or_duplicates():
    shuffled = PEERS[::-1] + PEERS[:3]
    random.Random(7).shuffle(shuffled)
    assert allocate("kx", shuffled, 2, 2) == allocate("kx", PEERS, 2, 2)


@pytest.mark.parametrize("rmin, rmax, live, want", [(2, 3, 8, 3), (2, 3, 2, 2), (3, 3, 1, 1), (-1, -1, 8, 8)])
def test_allocation_size(rmin, rmax, live, want):
    assert len(allocate("kx", PEERS[:live], rmin, rmax)) == want


@pytest.mark.parametrize("rmin, rmax", [(0, 2), (3, 2), (-1, 2), (2, -1), (-2, -2)])
def test_bad_factors_are_refused_with_a_reason(rmin, rmax):
    with pytest.raises(ValueError, match="rmin|replication"):
        check_factors(rmin, rmax)
    with pytest.raises(ValueError):
        allocate("kx", PEERS, rmin, rmax)


def test_load_is_balanced_within_a_fifth_of_the_mean():
    counts = Counter(peer for stream in STREAMS for peer in allocate(stream, PEERS, 2, 2))
    mean = len(STREAMS) * 2 / len(PEERS)
    assert set(counts) == set(PEERS)
    assert all(abs(n - mean) < mean / 5 for n in counts.values()), counts


def test_a_leaving_peer_moves_only_its_own_items_and_each_keeps_its_other_holder():
    gone, rest = PEERS[3], [p for p in PEERS if p != PEERS[3]]
    for stream in STREAMS:
        before, after = allocate(stream, PEERS, 2, 2), allocate(stream, rest, 2, 2)
        if gone not in before:
            assert after == before
        else:
            kept = [p for p in before if p != gone]
            assert set(kept) < set(after) and len(after) == 2


def test_a_returning_peer_gets_exactly_its_items_back():
    rest = PEERS[:3] + PEERS[4:]
    assert [allocate(s, rest + [PEERS[3]], 2, 2) for s in STREAMS] == [allocate(s, PEERS, 2, 2) for s in STREAMS]
