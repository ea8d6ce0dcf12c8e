"""Topologies a user hands the harness: named generators, and graphs it refuses with the reason."""

import networkx as nx
import pytest

from fakenet.errors import FakenetError
from fakenet.harness import topology
from fakenet.harness.network import Network


def test_named_renames_a_generators_nodes_keeping_its_edges():
    graph = topology.named(nx.path_graph(4))
    assert list(graph.nodes) == ["node", "node2", "node3", "node4"]
    assert sorted(map(sorted, graph.edges)) == [["node", "node2"], ["node2", "node3"], ["node3", "node4"]]
    assert topology.check(graph) is graph


@pytest.mark.parametrize("graph, reason", [
    (nx.path_graph(3), "DNS labels"),
    (nx.relabel_nodes(nx.path_graph(2), {0: "a b", 1: "c/d"}), "DNS labels"),
    (nx.relabel_nodes(nx.path_graph(2), {0: "Node", 1: "-x"}), "DNS labels"),
    (nx.Graph(), "no nodes"),
    (nx.DiGraph([("node", "node2")]), "undirected"),
    (nx.MultiGraph([("node", "node2"), ("node", "node2")]), "undirected"),
    (nx.Graph([("node", "node"), ("node", "node2")]), "to themselves"),
])
def test_a_graph_the_harness_cannot_use_is_refused_with_the_reason(graph, reason):
    with pytest.raises(FakenetError, match=reason):
        topology.check(graph)
    with pytest.raises(FakenetError, match=reason):  # before any backend is made
        Network(topology=graph, backend="no-such-backend")
