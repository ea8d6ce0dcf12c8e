"""Who should connect to whom: a networkx graph over node names, turned into peerlists."""

from __future__ import annotations

import networkx as nx

from fakenet.errors import FakenetError


def node_names(count: int) -> list[str]:
    """node, node2, node3, … as in the compose file."""
    return ["node"] + [f"node{i}" for i in range(2, count + 1)]


def _relabel(graph: nx.Graph, names: list[str]) -> nx.Graph:
    return nx.relabel_nodes(graph, dict(enumerate(names)))


def build(kind: str, names: list[str], *, degree: int = 3, seed: int = 0) -> nx.Graph:
    """full (mesh), ring, line or random-regular (`degree` links per node, seeded)."""
    count = len(names)
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
    raise FakenetError(f"unknown topology {kind!r}: use full, ring, line or random-regular")


def peers_of(graph: nx.Graph, name: str) -> list[str]:
    return sorted(graph.neighbors(name))
