"""The oracle's interest rule (fakenet/harness/interests.py), on graphs built by hand."""

import networkx as nx

from fakenet.harness.interests import InterestModel


def line(*names):
    graph = nx.Graph()
    graph.add_nodes_from(names)
    nx.add_path(graph, names)
    return graph


def rule(interested, model="M"):
    found = InterestModel()
    for node in interested:
        found.register(node, model)
    found.posted("a", model, ["e1"])
    return found


def test_events_travel_only_through_interested_nodes():
    found = rule(["a", "b", "d"])
    expected = found.expected(line("a", "b", "c", "d"))
    assert expected == {"a": {"e1"}, "b": {"e1"}}, "c has no interest, so d behind it gets nothing"
    assert found.forbidden(["a", "b", "c", "d"])["c"] == {"e1"}


def test_holders_keep_what_they_got_across_a_partition_and_pass_it_on_after():
    found = rule(["a", "b", "c"])
    found.expected(line("a", "b"))
    cut = nx.Graph([("b", "c")])
    cut.add_node("a")
    assert found.expected(cut) == {"a": {"e1"}, "b": {"e1"}, "c": {"e1"}}, "b got it before the cut and passes it on"


def test_a_down_node_is_not_expected_and_is_again_once_back():
    found = rule(["a", "b"])
    found.expected(line("a", "b"))
    assert found.expected(line("a")) == {"a": {"e1"}}
    assert found.expected(line("a", "b")) == {"a": {"e1"}, "b": {"e1"}}


def test_a_refused_event_is_forbidden_on_every_node_even_the_one_it_was_posted_to():
    found = rule(["a", "b"])
    found.refused_write("bad")
    assert all("bad" in cids for cids in found.forbidden(["a", "b", "c"]).values())
    assert "bad" not in found.expected(line("a", "b"))["a"]


def test_asking_a_node_to_lack_events_the_rule_expects_there_is_refused_before_any_feed_is_read():
    import pytest

    from fakenet.errors import ModelRefused
    from fakenet.harness.interests import expect_lacks

    found = rule(["a", "b"])
    with pytest.raises(ModelRefused, match="expects b to hold 1 of these events"):
        expect_lacks(found, line("a", "b"), {"b": "http://127.0.0.1:9/never-read"}, {"e1"})
