"""The expect_latest prediction: the newest state among the holders a node can reach."""

from types import SimpleNamespace

import networkx as nx
import pytest

from fakenet.errors import ExpectationFailed
from fakenet.harness.latest import Version, Versions, latest
from fakenet.scenario.steps import REGISTRY, Context

LINE = nx.path_graph(["a", "b", "c", "d"])


def test_a_load_returns_the_newest_version_any_reachable_holder_has():
    held = {"a": Version(1, "old"), "d": Version(3, "new")}
    assert latest(LINE, "b", held) == {Version(3, "new")}


def test_a_holder_cut_off_does_not_count():
    cut = LINE.copy()
    cut.remove_edge("c", "d")
    assert latest(cut, "b", {"a": Version(1), "d": Version(3)}) == {Version(1)}
    assert latest(cut, "b", {"d": Version(3)}) == set(), "no holder reachable: the load fails"


def test_equal_forks_leave_the_prediction_open():
    assert latest(LINE, "a", {"b": Version(2, "x"), "d": Version(2, "y")}) == {Version(2, "x"), Version(2, "y")}


def test_a_write_after_a_partition_reaches_only_the_holders_of_its_side():
    versions, cut = Versions(), LINE.copy()
    versions.created("a", "s", None)
    versions.loaded(LINE, "d", "s", ["a"])
    cut.remove_edge("b", "c")
    versions.wrote(cut, "a", "s", ["a", "d"], "while cut")
    assert versions.predict(cut, "d", "s", ["a", "d"]) == {Version(0)}, "d kept the old state"
    assert versions.predict(LINE, "c", "s", ["a", "d"]) == {Version(1, "while cut")}, "healed: the newest wins"
    assert versions.predict(LINE, "d", "s", ["d"]) == {Version(0)}, "a evicted it: only d's old state is left"


def test_expect_latest_is_a_registered_streams_step():
    assert REGISTRY["expect_latest"].kind == "expect" and "streams" in REGISTRY["expect_latest"].needs


def test_content_as_a_step_writes_it_a_dict_is_kept_and_compared():
    versions = Versions()
    versions.created("a", "s", None)
    versions.wrote(LINE, "a", "s", ["a"], {"title": "one"})
    assert versions.predict(LINE, "d", "s", ["a"]) == {Version(1, {"title": "one"})}
    assert Version(1, {"title": "one"}) != Version(1, {"title": "two"})


# -- expect_latest against a node that serves its own copy after a heal (issue 24's bug, planted) --

class _Nodes:
    """Stream holders on a graph, as a node kind would behave: a load takes the newest state of the
    reachable holders, or, with `serves_stale_copy` (the bug), a holder's own copy without asking;
    a write gossips to every holder in the writer's component. Stands in for ctx.net."""

    def __init__(self, names, serves_stale_copy):
        self.graph, self.serves_stale_copy = nx.complete_graph(names), serves_stale_copy
        self.held: dict[str, dict[str, int]] = {name: {} for name in names}  # node -> stream -> writes
        self.oracle = SimpleNamespace(expected_graph=lambda: self.graph.copy(), holders=self._holders,
                                      model=SimpleNamespace(shaped={}))  # no lossy links
        self.streams, self.fleet = self, SimpleNamespace(faker=SimpleNamespace(sentence=lambda: "news"))

    def _holders(self, stream):
        return [name for name, streams in self.held.items() if stream in streams]

    def up(self):
        return list(self.graph)

    def create(self, node, pin=False):
        self.held[node]["s"] = 0
        return "s"

    def load(self, node, stream):
        component = nx.node_connected_component(self.graph, node)
        own = self.held[node].get(stream)
        newest = max(self.held[h][stream] for h in self._holders(stream) if h in component)
        writes = own if self.serves_stale_copy and own is not None else newest
        self.held[node][stream] = writes
        return {"state": {"log": [{"type": 0}] + [{"type": 1}] * writes}}

    def update(self, node, stream, content):
        writes = len(self.load(node, stream)["state"]["log"])
        component = nx.node_connected_component(self.graph, node)
        for holder in self._holders(stream):
            if holder in component:
                self.held[holder][stream] = writes


def _write_across_a_partition_then_heal(serves_stale_copy):
    net = _Nodes(["a", "b"], serves_stale_copy)
    ctx = Context(net)
    REGISTRY["create_streams"].run(ctx, {"on": "a", "pin": True, "as": "s"})
    REGISTRY["load_streams"].run(ctx, {"on": ["b"], "streams": ["s"]})
    net.graph.remove_edge("a", "b")
    REGISTRY["update_streams"].run(ctx, {"on": "b", "streams": ["s"]})
    net.graph.add_edge("a", "b")
    REGISTRY["expect_latest"].run(ctx, {"streams": ["s"], "on": ["a"], "within": 1})  # polls loads to its deadline


def test_expect_latest_passes_a_node_that_syncs_its_copy_after_a_heal():
    _write_across_a_partition_then_heal(serves_stale_copy=False)


def test_expect_latest_catches_a_node_that_serves_its_own_older_copy_after_a_heal():
    with pytest.raises(ExpectationFailed, match="a loaded s with 0 write"):
        _write_across_a_partition_then_heal(serves_stale_copy=True)


# -- a fault soon after a write leaves it in doubt at the other holders --------------------------

def _written_then_disturbed(after: float):
    from fakenet.harness.latest import SETTLE, Versions
    graph = nx.path_graph(["a", "b", "c"])
    versions = Versions()
    versions.created("a", "s", {})
    versions.loaded(graph, "c", "s", ["a"])
    versions.wrote(graph, "a", "s", ["a", "c"], {"n": 1}, now=100.0)
    versions.disturbed(100.0 + after * SETTLE)  # e.g. the writer restarts
    graph.remove_node("a")
    return {v.writes for v in versions.predict(graph, "b", "s", ["a", "c"])}


def test_a_fault_within_the_settle_time_of_a_write_accepts_the_state_before_it_at_the_other_holders():
    assert _written_then_disturbed(after=0.5) == {0, 1}


def test_a_fault_after_the_settle_time_leaves_the_write_certain():
    assert _written_then_disturbed(after=1.5) == {1}


def test_a_load_settles_the_doubt_with_what_it_observed():
    from fakenet.harness.latest import Versions
    graph = nx.path_graph(["a", "b", "c"])
    versions = Versions()
    versions.created("a", "s", {})
    versions.loaded(graph, "c", "s", ["a"])
    versions.wrote(graph, "a", "s", ["a", "c"], {"n": 1}, now=0.0)
    versions.disturbed(1.0)
    graph.remove_node("a")
    versions.loaded(graph, "c", "s", ["a", "c"], observed=0)
    assert {v.writes for v in versions.predict(graph, "b", "s", ["a", "c"])} == {0}


def _write_while_lossy(loss: float):
    """b holds s; a writes while the a–b link drops frames (a loss of gossip nothing retries)."""
    net = _Nodes(["a", "b"], serves_stale_copy=True)  # b keeps its copy: as if the gossip was lost
    net.oracle.model.shaped = {frozenset(("a", "b")): (loss, 0.0)}
    ctx = Context(net)
    REGISTRY["create_streams"].run(ctx, {"on": "a", "pin": True, "as": "s"})
    REGISTRY["load_streams"].run(ctx, {"on": ["b"], "streams": ["s"]})
    net.held["a"]["s"] = 1  # the write reached a alone
    ctx.versions.wrote(net.oracle.expected_graph(), "a", "s", ["a", "b"], {"n": 1})
    if loss:
        ctx.versions.disturbed(0.0)  # what update_streams does when a link is lossy
    REGISTRY["expect_latest"].run(ctx, {"streams": ["s"], "on": ["b"], "within": 0.1})


def test_a_write_over_a_lossy_link_is_only_possibly_at_the_holders_behind_it():
    _write_while_lossy(0.5)  # b's old copy is accepted: the gossip may be lost for good


def test_without_loss_the_write_is_certain_at_every_holder():
    with pytest.raises(ExpectationFailed, match="b loaded s with 0 write"):
        _write_while_lossy(0.0)
