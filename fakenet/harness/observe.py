"""What the nodes report, assembled into the same shapes the model predicts."""

from __future__ import annotations

import networkx as nx

from fakenet.errors import FakenetError
from fakenet.harness.fanout import fan_out


def _parallel(function, items):
    items = list(items)
    return dict(zip(items, fan_out(function, items, 16)))


def peer_lists(runtimes: dict, up: list[str], identities: dict[str, str]) -> dict[str, set[str]]:
    """node -> the names of the nodes it reports as peers, matched by identity (a peer whose
    identity is no node's current one is nobody we know, and no edge)."""
    names = {identity: name for name, identity in identities.items()}

    def peers(name):
        try:
            return {names[i] for i in runtimes[name].client.peer_identities() if i in names}
        except FakenetError:
            return set()
    return _parallel(peers, up)


def observed_graph(runtimes: dict, up: list[str], identities: dict[str, str]) -> nx.Graph:
    """An edge where both ends list each other (a half-open link is not a link yet), and an
    edge to a node that cannot answer (down, paused) while an up node still lists it: until
    its peers notice, a paused node is still connected as far as they know."""
    lists = peer_lists(runtimes, up, identities)
    graph = nx.Graph()
    graph.add_nodes_from(up)
    graph.add_edges_from((u, v) for u in up for v in lists[u]
                         if (v in lists and u in lists[v]) or (v in runtimes and v not in lists))
    return graph


def tips(runtimes: dict, up: list[str]) -> dict[str, tuple[str, int, int]]:
    """node -> (best hash, height, chainwork)."""
    def tip(name):
        found = runtimes[name].client.tip()
        return found.hash, found.height, found.work
    return _parallel(tip, up)


def holdings(runtimes: dict, up: list[str]) -> dict[str, tuple[set[str], set[str]]]:
    """node -> (pinned stream ids, cached stream ids)."""
    def held(name):
        client = runtimes[name].client
        return client.pins(), set(client.cache_order())
    return _parallel(held, up)


def graph_diff(expected: nx.Graph, observed: nx.Graph) -> str:
    def edges(graph):
        return {tuple(sorted(e)) for e in graph.edges}
    missing, extra = sorted(edges(expected) - edges(observed)), sorted(edges(observed) - edges(expected))
    parts = []
    if missing:
        parts.append("missing edges " + ", ".join(f"{u}–{v}" for u, v in missing))
    if extra:
        parts.append("extra edges " + ", ".join(f"{u}–{v}" for u, v in extra))
    if set(expected) != set(observed):
        parts.append(f"nodes expected {sorted(expected)} observed {sorted(observed)}")
    return "; ".join(parts) or "none"
