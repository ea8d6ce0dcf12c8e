"""The link plan: every active link fault's rules merged into one, which both the model and the
nodes are given, so the two can never read the same faults two ways.

A link fault contributes two things: the directions it allows (a directed graph, or None for
"no opinion") and the shape it gives links (loss, delay). Allowed graphs intersect: a direction
is open only if every fault allows it. Shapes are per link and the newest fault that shapes a
link decides it, as the node's own filter does when told twice; undoing it brings back the one
before. The blocked peers a node gets are computed from the plan itself, never from the model's
predicate, so a bug in the model's `link_allowed` cannot be mirrored into the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol

import networkx as nx

from fakenet.harness.backends.base import LinkRules


@dataclass(frozen=True)
class Shape:
    loss: float = 0.0  # probability a frame is dropped
    delay_ms: float = 0.0  # one way


class LinkRule(Protocol):
    """What a link fault says about links (see fakenet.harness.faults.LinkFault)."""

    def allowed(self, names: list[str]) -> nx.DiGraph | None: ...  # or anything with has_edge(u, v)

    def shapes(self) -> dict[frozenset[str], Shape]: ...


class LinkPlan:
    """Over the topology's links only: nodes dial just their neighbours, so no other pair can connect,
    and a plan of every pair would not fit (halving 3,000 nodes is 4.5 million directed pairs)."""

    def __init__(self, topology: nx.Graph, rules: Iterable[LinkRule]):
        self.topology, self.names = topology, list(topology.nodes)
        rules = list(rules)  # oldest first
        self.allowed = self._intersect([g for rule in rules if (g := rule.allowed(self.names)) is not None])
        self.shapes: dict[frozenset[str], Shape] = {}
        for rule in rules:
            self.shapes.update(rule.shapes())

    def _intersect(self, graphs: list) -> nx.DiGraph | None:
        """The topology's directions every fault allows (a fault answers `has_edge`, graph or not)."""
        if not graphs:
            return None
        allowed = nx.DiGraph()
        allowed.add_nodes_from(self.names)
        allowed.add_edges_from(e for e in self.topology.to_directed().edges if all(g.has_edge(*e) for g in graphs))
        return allowed

    def open(self, u: str, v: str) -> bool:
        """A connection needs both directions, so a one-way cut closes the link."""
        return self.allowed is None or (self.allowed.has_edge(u, v) and self.allowed.has_edge(v, u))

    def shaped(self) -> dict[frozenset[str], tuple[float, float]]:
        """link -> (loss, delay in ms), as the model takes it."""
        return {link: (shape.loss, shape.delay_ms) for link, shape in self.shapes.items()}

    def rules_for(self, name: str, seed: int) -> LinkRules:
        """One node's filter: the peers it must not talk to, and one shape per shaped peer."""
        blocked = frozenset(v for v in self.topology.neighbors(name) if not self.open(name, v))
        mine = sorted(((next(iter(link - {name})), shape) for link, shape in self.shapes.items() if name in link),
                      key=lambda item: item[0])
        return LinkRules(blocked, tuple((peer, s.loss) for peer, s in mine if s.loss),
                         tuple((peer, s.delay_ms) for peer, s in mine if s.delay_ms), seed)
