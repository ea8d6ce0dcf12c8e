"""The oracle's chain: forks on each side of a partition, the winner after heal, reorg depths, ties."""

import pytest

from fakenet.harness.chain_model import AmbiguousChain, ChainModel, fork_depth

NAMES = ["a", "b", "c", "d"]


def blocks(prefix, n):
    return [f"{prefix}{i}" for i in range(n)]


def test_the_longer_side_wins_and_the_other_side_reorgs_by_its_own_blocks():
    chain = ChainModel(NAMES)
    chain.mined("a", blocks("x", 2), set(NAMES))
    chain.mined("a", blocks("l", 3), {"a", "b"})
    chain.mined("c", blocks("r", 1), {"c", "d"})
    assert chain.tips("c") == {(3, "r0")}
    reorgs = chain.converge([set(NAMES)])
    assert {r.node: r.depth for r in reorgs} == {"c": 1, "d": 1}
    assert chain.reorgs["d"].abandoned == "r0" and chain.reorgs["d"].adopted == "l2"
    assert all(chain.tips(n) == {(5, "l2")} for n in NAMES)


def test_equal_work_keeps_each_side_and_the_next_block_decides():
    chain = ChainModel(NAMES)
    chain.mined("a", ["l"], {"a", "b"})
    chain.mined("c", ["r"], {"c"})
    assert chain.converge([set(NAMES)]) == []
    assert chain.tips("a") == {(1, "l")} and chain.tips("c") == {(1, "r")}
    assert chain.tips("d") == {(1, "l"), (1, "r")}  # d had neither: it takes whichever comes first
    with pytest.raises(AmbiguousChain):
        chain.mined("d", ["?"], set(NAMES))
    chain.mined("c", ["r2"], set(NAMES))
    assert {n: chain.tips(n) for n in NAMES} == {n: {(2, "r2")} for n in NAMES}
    assert chain.reorgs["a"].depth == 1 and "d" not in chain.reorgs


def test_fork_depth_counts_blocks_above_the_fork():
    assert fork_depth(("g", "a", "b"), ("g", "c")) == 2
    assert fork_depth(("g",), ("g", "c")) == 0


def test_a_node_behind_a_tie_stays_on_its_unknown_branch_when_one_side_leaves():
    """Soak seed 712: d joined a tie between l (a, b) and r (c), then c was cut off. d is on l or r;
    equal work never moves it, so the model keeps both candidates instead of putting d on l."""
    chain = ChainModel(NAMES)
    chain.mined("a", ["l"], {"a", "b"})
    chain.mined("c", ["r"], {"c"})
    chain.converge([set(NAMES)])
    chain.converge([{"a", "b", "d"}, {"c"}])
    assert chain.tips("d") == {(1, "l"), (1, "r")} and chain.tips("a") == {(1, "l")}
    chain.mined("a", ["l2"], {"a", "b", "d"})  # a longer branch moves d, from whichever it was on
    assert chain.tips("d") == {(2, "l2")}
    assert "d" not in chain.reorgs and "d" in chain.unknown_reorg  # which tip d abandoned is unknown
