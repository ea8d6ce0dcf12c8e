"""One plan merges every active link fault: what the model is told and what each node's filter gets."""

import networkx as nx

from fakenet.harness import faults
from fakenet.harness.links import LinkPlan, Shape

NAMES = ["node", "node2", "node3", "node4"]
FULL = nx.complete_graph(NAMES)


def test_a_link_degraded_twice_takes_the_newer_degrade_and_gets_the_older_back():
    older, newer = faults.Degrade("node", "node2", 0.0, 600.0), faults.Degrade("node2", "node", 0.1, 10.0)
    plan = LinkPlan(FULL, [older, newer])
    assert plan.shaped() == {frozenset(("node", "node2")): (0.1, 10.0)}
    rules = plan.rules_for("node", seed=7)
    assert rules.loss == (("node2", 0.1),) and rules.delay == (("node2", 10.0),) and rules.seed == 7
    assert LinkPlan(FULL, [older]).rules_for("node2", 0).delay == (("node", 600.0),)


def test_allowed_directions_intersect_and_a_one_way_cut_blocks_both_ends():
    one_way = nx.complete_graph(NAMES, create_using=nx.DiGraph)
    one_way.remove_edge("node", "node3")
    plan = LinkPlan(FULL, [faults.Partition((("node", "node2", "node3"), ("node4",))), faults.CutLinks(one_way)])
    assert plan.rules_for("node", 0).blocked == {"node3", "node4"}
    assert plan.rules_for("node3", 0).blocked == {"node", "node4"}
    assert plan.rules_for("node2", 0).blocked == {"node4"}
    assert plan.allowed.has_edge("node3", "node") and not plan.allowed.has_edge("node", "node3")


def test_no_link_fault_no_rules():
    plan = LinkPlan(FULL, [])
    assert plan.allowed is None and plan.shaped() == {} and not plan.rules_for("node", 0).blocked


def test_a_new_link_fault_is_one_class():
    class SlowHub(faults.LinkFault):
        def shapes(self):
            return {frozenset(("node", other)): Shape(delay_ms=50.0) for other in NAMES[1:]}

    assert LinkPlan(FULL, [SlowHub()]).rules_for("node", 0).delay == tuple((n, 50.0) for n in NAMES[1:])


def test_only_the_topologys_links_are_judged():
    line = nx.path_graph(NAMES)  # node - node2 - node3 - node4
    plan = LinkPlan(line, [faults.Partition((("node", "node2"), ("node3", "node4")))])
    assert plan.rules_for("node2", 0).blocked == {"node3"} and plan.rules_for("node", 0).blocked == frozenset()
    assert sorted(plan.allowed.edges) == [("node", "node2"), ("node2", "node"), ("node3", "node4"), ("node4", "node3")]
