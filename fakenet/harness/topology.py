"""Who should connect to whom: a networkx graph over node names, turned into peerlists."""

from __future__ import annotations

import random
import re

import networkx as nx

from fakenet.errors import FakenetError


def node_names(count: int) -> list[str]:
    """node, node2, node3, … as in the compose file."""
    return ["node"] + [f"node{i}" for i in range(2, count + 1)]


def _relabel(graph: nx.Graph, names: list[str]) -> nx.Graph:
    return nx.relabel_nodes(graph, dict(enumerate(names)))


# A node's name becomes a container name, a DNS alias, a file name and a log prefix: one DNS label.
NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")

KINDS = ("full", "ring", "line", "random-regular", "ring-chords", "tree")
DEGREE = re.compile(r"(random-regular)-(\d+)")


def build(kind: str, names: list[str], *, degree: int = 3, seed: int = 0) -> nx.Graph:
    """full (mesh), ring, line, random-regular (`degree` links per node), ring-chords (a ring plus
    n/4 random chords) or tree (a uniformly random tree); the random ones seeded."""
    count = len(names)
    rng = random.Random(seed)
    if match := DEGREE.fullmatch(kind):  # "random-regular-4": the degree in the name, as scenario files give it
        kind, degree = match[1], int(match[2])
    if kind == "ring-chords":
        graph = nx.cycle_graph(count)
        while count > 3 and graph.number_of_edges() < count + max(1, count // 4):
            u, v = rng.sample(range(count), 2)
            graph.add_edge(u, v)
        return _relabel(graph, names)
    if kind == "tree":
        if count < 3:
            return _relabel(nx.path_graph(count), names)
        return _relabel(nx.from_prufer_sequence([rng.randrange(count) for _ in range(count - 2)]), names)
    if kind in ("full", "mesh", "full_mesh"):
        return _relabel(nx.complete_graph(count), names)
    if kind == "ring":
        return _relabel(nx.cycle_graph(count), names)
    if kind == "line":
        return _relabel(nx.path_graph(count), names)
    if kind in ("random-regular", "random_regular"):
        if count * degree % 2 or degree >= count:
            raise FakenetError(f"no {degree}-regular graph on {count} nodes (need n*d even and d < n)")
        graph = nx.random_regular_graph(degree, count, seed=seed)
        while not nx.is_connected(graph):  # a disconnected start would make every scenario moot
            seed += 1
            graph = nx.random_regular_graph(degree, count, seed=seed)
        return _relabel(graph, names)
    raise FakenetError(f"unknown topology {kind!r}: use {', '.join(KINDS)}")


def peers_of(graph: nx.Graph, name: str) -> list[str]:
    return sorted(graph.neighbors(name))


def named(graph: nx.Graph) -> nx.Graph:
    """The same graph with its nodes renamed node, node2, … in the graph's order (for a networkx
    generator's integer labels: `Network(topology=named(nx.path_graph(10)))`)."""
    return _relabel(nx.convert_node_labels_to_integers(graph), node_names(graph.number_of_nodes()))


def check(graph: nx.Graph) -> nx.Graph:
    """A graph given by the user, refused with the reason unless every node is a usable name."""
    if not isinstance(graph, nx.Graph) or graph.is_directed() or graph.is_multigraph():
        raise FakenetError(f"a topology is an undirected networkx Graph, not {type(graph).__name__}: peer links go both ways")
    if graph.number_of_nodes() == 0:
        raise FakenetError("the topology has no nodes")
    bad = [label for label in graph.nodes if not (isinstance(label, str) and NAME.fullmatch(label))]
    if bad:
        raise FakenetError(f"topology node names must be DNS labels (a-z, 0-9, '-', e.g. node2), not {bad[:5]!r}: "
                           "fakenet.harness.topology.named(graph) renames a generator's nodes to node, node2, …")
    loops = [u for u, v in nx.selfloop_edges(graph)]
    if loops:
        raise FakenetError(f"the topology links {sorted(loops)[:5]} to themselves: a node does not peer with itself")
    return graph
