"""A heal that undoes several faults at once: every node ends on the longest branch, but each undo
takes effect when its own link is back, so on the way a node may take the branch of a part that
rejoined it sooner. Found by `./fake soak --seed 19` on sim: node2's identity came back (a restart,
0.5 s) before isolated node4's links (a dialler's back-off, 0.85 s), node2 and node3 took node's
block C on top of A first, and then left A→C (branchlen 2) for node4's longer branch, where the
model said they left A (branchlen 1)."""

from fakenet.harness.chain_model import ChainModel


def _before_the_heal() -> ChainModel:
    chain = ChainModel(["node", "node2", "node3", "node4"])
    chain.mined("node2", ["A"], {"node", "node2", "node3"})
    chain.mined("node", ["C"], {"node"})  # node2 cut off from it (its identity lost), node3 behind node2
    chain.mined("node4", ["B1", "B2", "B3"], {"node4"})  # isolated
    return chain


def test_after_several_undos_at_once_a_node_may_have_left_a_branch_that_joined_it_sooner():
    chain = _before_the_heal()
    chain.converge([{"node", "node2", "node3", "node4"}], in_between=True)
    assert {name: chain.branch[name] for name in chain.branch} == {n: ("B1", "B2", "B3") for n in chain.branch}
    for name in ("node2", "node3"):
        assert chain.reorgs[name].shown_as() == {(1, "A"), (2, "C")}, name
    assert chain.reorgs["node"].shown_as() == {(2, "C")}, "no branch longer than its own and shorter than B's"


def test_one_undo_at_a_time_leaves_no_doubt():
    chain = _before_the_heal()
    chain.converge([{"node", "node2", "node3", "node4"}])
    assert chain.reorgs["node2"].shown_as() == {(1, "A")}
