"""Faults: each a small class with apply and undo, so heal() and teardown can take them all back.

Link faults (partition, cut_links, isolate, degrade) only change the model's link rules; the
network then pushes the resulting filter to every node. Node faults act on the backend and
tell the model what changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import networkx as nx

if TYPE_CHECKING:
    from fakenet.harness.network import Network


class Fault:
    """apply() injects, undo() takes back; `lasting` faults stay active until undone or healed."""

    lasting = True

    def apply(self, net: Network) -> None:
        raise NotImplementedError

    def undo(self, net: Network) -> None:
        pass

    def __str__(self) -> str:
        fields = ", ".join(f"{v}" for v in self.__dict__.values() if not isinstance(v, (bytes, nx.Graph)))
        return f"{type(self).__name__.lower()}({fields})"


@dataclass(eq=False)
class Crash(Fault):
    node: str

    def apply(self, net):
        net.runtime(self.node).kill()
        net.model.went_down(self.node)

    def undo(self, net):
        net.start_node(self.node)


@dataclass(eq=False)
class Stop(Crash):
    def apply(self, net):
        net.runtime(self.node).stop()
        net.model.went_down(self.node)


@dataclass(eq=False)
class Restart(Fault):
    node: str
    lasting = False

    def apply(self, net):
        net.runtime(self.node).stop()
        net.model.went_down(self.node)
        net.start_node(self.node)


@dataclass(eq=False)
class Pause(Fault):
    node: str

    def apply(self, net):
        net.runtime(self.node).pause()
        net.model.went_down(self.node)

    def undo(self, net):
        net.runtime(self.node).unpause()
        net.model.came_up(self.node, restarted=False)
        net.sync_links()


@dataclass(eq=False)
class LoseIdentity(Fault):
    """Delete the node's key and restart it (a new PeerID); the harness keeps a backup."""

    node: str
    backup: bytes = field(default=b"", repr=False)

    def apply(self, net):
        runtime = net.runtime(self.node)
        self.backup = runtime.read_identity()
        runtime.write_identity(None)
        runtime.stop()
        net.model.went_down(self.node)
        net.start_node(self.node)

    def undo(self, net):
        runtime = net.runtime(self.node)
        runtime.stop()
        net.model.went_down(self.node)
        runtime.write_identity(self.backup)
        net.start_node(self.node)


@dataclass(eq=False)
class EvictCache(Fault):
    node: str
    count: int | None = None
    ids: tuple[str, ...] | None = None
    lasting = False

    def apply(self, net):
        ids = list(self.ids) if self.ids is not None else None
        net.streams_client(self.node).evict(self.count, ids)
        net.model.evicted(self.node, self.count, ids)


@dataclass(eq=False)
class CachePressure(Fault):
    """Create `count` fresh unpinned streams on a node, pushing its oldest streams out of the cache."""

    node: str
    count: int
    lasting = False

    def apply(self, net):
        for _ in range(self.count):
            net.create_stream(self.node)


class LinkFault(Fault):
    def allowed(self, names: list[str]) -> nx.DiGraph:
        raise NotImplementedError

    def apply(self, net):
        net.sync_links()

    def undo(self, net):
        net.sync_links()


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

    def allowed(self, names):
        return None
