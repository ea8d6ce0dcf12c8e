"""Faults: each a small class with apply and undo, so heal() and teardown can take them all back.

A fault acts on a `FaultTarget`: the running nodes, the model it tells what changed, and two
steps every fault shares (start a node and wait for it; push the link plan). It never sees the
whole Network. Link faults (partition, cut_links, isolate, degrade) only say what they allow and
how they shape links; the target merges every active link fault into one plan
(fakenet.harness.links) and pushes it to the model and to every node: a new link fault is one
class here and nothing else.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import networkx as nx

from fakenet.errors import ConfigError
from fakenet.harness.links import Shape
from fakenet.kinds.base import IdentityOverride

if TYPE_CHECKING:
    from fakenet.harness.backends.base import NodeRuntime
    from fakenet.harness.model import NetworkModel


class FaultTarget(Protocol):
    """What a fault may touch."""

    model: NetworkModel

    def runtime(self, name: str) -> NodeRuntime: ...

    def start_node(self, name: str) -> None:
        """Start a node that is down, wait until it answers, tell the model, push the link plan."""

    def sync_links(self) -> str:
        """Merge the active link faults, tell the model, set every up node's filter; return how."""

    def create_stream(self, name: str) -> str:
        """A fresh unpinned stream of seeded content on a node, recorded in the model."""


class Fault:
    """apply() injects, undo() takes back; `lasting` faults stay active until undone or healed.
    apply may return how it was done (a link filter's method), for the timeline."""

    lasting = True

    def apply(self, target: FaultTarget) -> str | None:
        raise NotImplementedError

    def undo(self, target: FaultTarget) -> None:
        pass

    def __str__(self) -> str:
        shown = [getattr(self, f.name) for f in dataclasses.fields(self) if f.repr] if dataclasses.is_dataclass(self) else []
        return f"{type(self).__name__.lower()}({', '.join(str(v) for v in shown if not isinstance(v, nx.Graph))})"


@dataclass(eq=False)
class NodeDown(Fault):
    """Take a node down through its runtime (`halt`); the model learns it went down."""

    node: str

    def halt(self, runtime: NodeRuntime) -> None:
        raise NotImplementedError

    def apply(self, target):
        self.halt(target.runtime(self.node))
        target.model.went_down(self.node)


@dataclass(eq=False)
class Crash(NodeDown):
    def halt(self, runtime):
        runtime.kill()

    def undo(self, target):
        target.start_node(self.node)


@dataclass(eq=False)
class Stop(Crash):
    def halt(self, runtime):
        runtime.stop()


@dataclass(eq=False)
class Restart(Stop):
    """A stop the node starts again from at once: nothing to undo."""

    lasting = False

    def apply(self, target):
        super().apply(target)
        target.start_node(self.node)


@dataclass(eq=False)
class Pause(NodeDown):
    def halt(self, runtime):
        runtime.pause()

    def undo(self, target):
        target.runtime(self.node).unpause()
        target.model.came_up(self.node, restarted=False)
        target.sync_links()


@dataclass(eq=False)
class LoseIdentity(Fault):
    """Delete the node's key and restart it (a new PeerID); the harness keeps a backup.

    Peers' filters know a node by its identity. Before the old key is back, the model and every
    up peer's filter learn the identity it brings back, so a node restored while cut off stays
    cut off from its first dial (its peers would otherwise block only the identity it had lost)."""

    node: str
    backup: bytes = field(default=b"", repr=False)
    identity: str = field(default="", repr=False)  # the one it comes back with

    def apply(self, target):
        runtime = target.runtime(self.node)
        self.identity = target.model.identity[self.node]
        self.backup = runtime.read_identity()
        runtime.write_identity(None)
        runtime.stop()
        target.model.went_down(self.node)
        target.start_node(self.node)

    def undo(self, target):
        runtime = target.runtime(self.node)
        runtime.stop()
        target.model.went_down(self.node)
        runtime.write_identity(self.backup)
        target.model.identity_changed(self.node, self.identity)
        target.sync_links()
        target.start_node(self.node)


@dataclass(eq=False)
class AcceptIdentity(Fault):
    """The operator of every up peer that trusted another identity for the node accepts the one it
    holds now (`acceptpeeridentity`): they connect again. Not undone: trust is not taken back."""

    node: str
    lasting = False

    def apply(self, target):
        now = target.model.identity[self.node]
        for peer, trusted in sorted(target.model.trusted.items()):
            old = trusted.get(self.node)
            if peer in target.model.down or old is None or old == now:
                continue
            client = target.runtime(peer).client
            if not isinstance(client, IdentityOverride):
                raise ConfigError(f"{peer}'s kind cannot accept a changed identity (no accept_identity)")
            client.accept_identity(old, now)
            target.model.accept_identity(peer, self.node)
        target.sync_links()


@dataclass(eq=False)
class EvictCache(Fault):
    node: str
    count: int | None = None
    ids: tuple[str, ...] | None = None
    lasting = False

    def apply(self, target):
        ids = list(self.ids) if self.ids is not None else None
        target.runtime(self.node).client.evict(self.count, ids)
        target.model.evicted(self.node, self.count, ids)


@dataclass(eq=False)
class CachePressure(Fault):
    """Create `count` fresh unpinned streams on a node, pushing its oldest streams out of the cache."""

    node: str
    count: int
    lasting = False

    def apply(self, target):
        for _ in range(self.count):
            target.create_stream(self.node)


class LinkFault(Fault):
    """A rule on links: the directions it allows (None: no opinion) and the shapes it gives them."""

    def allowed(self, names: list[str]) -> nx.DiGraph | None:
        return None

    def shapes(self) -> dict[frozenset[str], Shape]:
        return {}

    def named(self) -> list[str]:
        """The nodes the fault names (a misspelt one made a rule about nobody, silently)."""
        return []

    def apply(self, target):
        for name in self.named():
            target.runtime(name)  # ConfigError for a node the network has not, before the plan changes
        how = target.sync_links()
        return f"via {how}" if self.shapes() else None

    def undo(self, target):
        target.sync_links()


@dataclass(frozen=True)
class _Groups:
    """Who may send to whom in a partition, without a graph of every pair (4.5 million edges when
    halving 3,000 nodes): the network asks it only about the topology's links."""

    group: dict[str, int]

    def has_edge(self, u: str, v: str) -> bool:
        return u != v and u in self.group and self.group[u] == self.group.get(v)


def _groups_graph(groups: list[list[str]]) -> _Groups:
    return _Groups({name: index for index, group in enumerate(groups) for name in group})


@dataclass(eq=False)
class Partition(LinkFault):
    """Only nodes in the same group can talk; nodes named in no group form one more group."""

    groups: tuple[tuple[str, ...], ...]

    def named(self):
        names = [n for g in self.groups for n in g]
        if len(set(names)) < len(names):  # which group such a node talks to would be a guess
            raise ConfigError(f"expected each node in one group only, not {[list(g) for g in self.groups]}")
        return names

    def allowed(self, names):
        listed = {n for g in self.groups for n in g}
        rest = [n for n in names if n not in listed]
        return _groups_graph([list(g) for g in self.groups] + ([rest] if rest else []))

    def __str__(self) -> str:
        """Each group in full while small, else its size and first names (a timeline row, not 1,000 names)."""
        shown = [", ".join(g) if len(g) <= 6 else f"{len(g)} nodes: {', '.join(g[:3])}, …" for g in self.groups]
        return "partition(" + " | ".join(shown) + ")"


@dataclass(eq=False)
class CutLinks(LinkFault):
    """Allow only the edges of `graph` (directed: a missing direction is a one-way cut)."""

    graph: nx.Graph

    def named(self):
        return list(self.graph)

    def allowed(self, names):
        return self.graph.copy() if self.graph.is_directed() else self.graph.to_directed()

    def __str__(self) -> str:
        """The links it cuts (u–v both ways, u→v one way), not the many it allows."""
        allowed = self.allowed(list(self.graph))
        missing = {(u, v) for u in allowed for v in allowed if u != v and not allowed.has_edge(u, v)}
        both = sorted({tuple(sorted(pair)) for pair in missing if pair[::-1] in missing})
        cuts = [f"{u}–{v}" for u, v in both] + [f"{u}→{v}" for u, v in sorted(missing) if (v, u) not in missing]
        shown = ", ".join(cuts[:6]) + (f", … {len(cuts) - 6} more" if len(cuts) > 6 else "")
        return f"cutlinks({shown})"


@dataclass(eq=False)
class Isolate(LinkFault):
    node: str

    def named(self):
        return [self.node]

    def allowed(self, names):
        return _groups_graph([[n for n in names if n != self.node], [self.node]])


@dataclass(eq=False)
class Degrade(LinkFault):
    """A lossy and/or slow link u–v: loss by packet filter (docker) or in the transport (local);
    delay in the node's transport (this kernel has no netem). The link stays up."""

    u: str
    v: str
    loss: float = 0.0
    delay_ms: float = 0.0

    def named(self):
        return [self.u, self.v]

    def shapes(self):
        return {frozenset((self.u, self.v)): Shape(self.loss, self.delay_ms)}
