"""The expect_latest prediction: the newest state among the holders a node can reach."""

import networkx as nx

from fakenet.harness.latest import Version, Versions, latest
from fakenet.scenario.steps import REGISTRY

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
