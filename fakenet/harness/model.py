"""The harness's own model of the network, and what it predicts — the peer-graph oracle.

Every action the harness takes updates this model; assertions compare the model's predictions
with what the nodes report. The answer is never read from the node being checked.

- expected_graph(): up nodes; an edge u–v where the topology links them, neither is down, the
  allowed-links graph lets traffic through both ways, each holds the identity the other trusts
  for it, and the link is not dead (below).
- holders(s): nodes that pinned s, plus nodes holding s in their cache (creates, loads, updates,
  pins and unpins are uses; evictions and restarts empty caches). The cache is predicted by count;
  a node whose cache may also meet its byte limit (the bound of what the harness wrote, below) is
  beyond the prediction, and the model says so (CacheBeyondModel) rather than guess.
- s is available at v ⇔ v is up and v's component of expected_graph() contains a holder —
  for any diameter and any link delay, within the node's documented bounds (README, "Timing
  bounds"), which `Timing` states. Pairs a bound leaves open are predicted "either" (None) and
  not asserted.
"""

from __future__ import annotations

from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import networkx as nx

from fakenet.errors import ConfigError
from fakenet.harness.chain_model import ChainModel, Reorg


class LruModel:
    """A node's stream cache as the node keeps it: uses move to the end, overflow evicts the front."""

    def __init__(self, limit: int):
        self.limit = limit
        self.order: OrderedDict[str, None] = OrderedDict()

    def use(self, stream: str) -> list[str]:
        self.order[stream] = None
        self.order.move_to_end(stream)
        evicted = []
        while len(self.order) > self.limit:
            evicted.append(self.order.popitem(last=False)[0])
        return evicted

    def evict(self, count: int | None = None, ids: list[str] | None = None) -> list[str]:
        victims = list(ids) if ids is not None else list(self.order)[: count if count is not None else len(self.order)]
        for stream in victims:
            self.order.pop(stream, None)
        return victims

    def clear(self) -> None:
        self.order.clear()


@dataclass(frozen=True)
class Timing:
    """What a slow link does under the node's two silence bounds (README, "Timing bounds"); a delay is
    one way, in seconds, the same both ways (a degrade shapes both ends).

    - Peer timeout P: a connection that hears nothing for P is closed. Frames leave every keepalive
      interval K, so a delay d with d + K < P never closes it (steady); with d >= P no frame of a new
      connection arrives before P has passed, so it carries nothing, ever (dead: not an edge, though
      it flaps up and down and may be seen connected); in between it may flap (unsteady).
    - Sync timeout T: a load gives up on a neighbour silent for T, so a round trip 2d >= T cuts the
      link for loads, one under T/2 never does; between, or with loss, it may go either way.
    Under load a node waits longer (up to 4 T, or 4 P, by the lag and stalls it measures), but only on links
    whose injected delay these rules call "never cut" or "steady": the predictions stay exact.
    None: the kind has no such bound.
    """

    sync_timeout: float | None = None
    peer_timeout: float | None = None
    keepalive: float = 1.0  # the fakenet node's ping interval

    def dead(self, delay: float) -> bool:
        return self.peer_timeout is not None and delay >= self.peer_timeout

    def steady(self, delay: float) -> bool:
        return self.peer_timeout is None or delay + self.keepalive < self.peer_timeout

    def load_cut(self, delay: float) -> bool:
        return self.dead(delay) or (self.sync_timeout is not None and 2 * delay >= self.sync_timeout)

    def load_within(self) -> float | None:
        """The longest a load may take by these rules: its two searches (the query for the tip, then
        the fetch of the commits), each waiting up to 4 T on a neighbour it grants lag to. None: no
        bound (the kind has no sync timeout). A harness that gives up sooner blames a node for a wait
        its own settings call for (soak seed 36: a pin over a 1.2 s, 30 % lossy link took 32.6 s at
        T = 20 s)."""
        return None if self.sync_timeout is None else 2 * 4 * self.sync_timeout

    def load_sure(self, loss: float, delay: float) -> bool:
        return (loss == 0 and self.steady(delay)
                and (self.sync_timeout is None or 2 * delay < self.sync_timeout / 2))


class CacheBeyondModel(ConfigError):
    """A node's cache may meet its byte limit, which the model does not predict (it predicts by count):
    the streams written, not the node, are the cause; the remedy is a larger cache_bytes setting."""


class NetworkModel:
    def __init__(self, topology: nx.Graph, identities: dict[str, str], cache_limit: int = 500,
                 sync_timeout: float | None = None, peer_timeout: float | None = None,
                 cache_bytes: int | None = None):
        self.topology = topology
        self.identity = dict(identities)  # the PeerID each node holds now
        # trusted[u][v]: the PeerID u expects at v's address (trust on first use, at start)
        self.trusted = {u: {v: identities[v] for v in topology.neighbors(u)} for u in topology}
        self.down: set[str] = set()
        self.allowed: nx.DiGraph | None = None  # None: no partition rule
        self.pins: dict[str, set[str]] = {name: set() for name in topology}
        self.caches = {name: LruModel(cache_limit) for name in topology}
        self.cache_bytes = cache_bytes  # the nodes' cache byte limit; None: caches are limited by count alone
        self.stream_bytes: dict[str, int] = {}  # stream -> the bound of its writes (write_bounds.py), summed
        self._touched: set[str] = set()  # nodes whose caches changed since check_bytes last looked
        self.cluster: dict[str, tuple[int, int]] = {}  # cluster pinset: stream -> (rmin, rmax)
        self.chain = ChainModel(topology)
        self._deferring = self._deferred = False  # inside one_change(); a change came meanwhile
        self.timing = Timing(sync_timeout, peer_timeout)
        self.shaped: dict[frozenset[str], tuple[float, float]] = {}  # link -> (loss, one-way delay in ms)

    # -- the peer graph ------------------------------------------------------------------------

    def link_allowed(self, u: str, v: str) -> bool:
        """TCP needs both directions, so a one-way cut still cuts the connection."""
        return self.allowed is None or (self.allowed.has_edge(u, v) and self.allowed.has_edge(v, u))

    def edge_expected(self, u: str, v: str) -> bool:
        return (u not in self.down and v not in self.down and self.link_allowed(u, v)
                and self.trusted[u].get(v) == self.identity[v] and self.trusted[v].get(u) == self.identity[u]
                and not self.timing.dead(self._delay(u, v)))

    def _delay(self, u: str, v: str) -> float:
        """The link's one-way delay in seconds."""
        return self.shaped.get(frozenset((u, v)), (0.0, 0.0))[1] / 1000

    def unsteady_links(self) -> set[frozenset[str]]:
        """Links slow enough to time out (dead ones among them) or lossy (keepalives lost in a row time
        out too): up and down as the timers fall, so the graph check does not assert them either way."""
        return {link for link, (loss, delay_ms) in self.shaped.items()
                if loss > 0 or not self.timing.steady(delay_ms / 1000)}

    def expected_graph(self) -> nx.Graph:
        graph = nx.Graph()
        graph.add_nodes_from(n for n in self.topology if n not in self.down)
        graph.add_edges_from((u, v) for u, v in self.topology.edges if self.edge_expected(u, v))
        return graph

    def component(self, node: str) -> set[str]:
        graph = self.expected_graph()
        return nx.node_connected_component(graph, node) if node in graph else set()

    # -- streams -------------------------------------------------------------------------------

    def holders(self, stream: str) -> set[str]:
        return {n for n in self.topology if stream in self.pins[n] or stream in self.caches[n].order}

    def available(self, stream: str, node: str) -> bool:
        """Certainly available (see availability for the pairs slow or lossy links leave open)."""
        return self.availability(stream, node) is True

    def availability(self, stream: str, node: str) -> bool | None:
        """True or False as predicted, None where a slow or lossy link may decide either way."""
        return self.availability_map([stream], [node])[(stream, node)]

    def availability_map(self, streams, nodes) -> dict[tuple[str, str], bool | None]:
        """availability() of every (stream, node) pair, the graphs computed once."""
        graph = self.expected_graph()
        sure, maybe = self._without(graph, keep_doubtful=False), self._without(graph, keep_doubtful=True)
        sure_parts, maybe_parts = _parts(sure), _parts(maybe)
        holders = {stream: self.holders(stream) for stream in streams}
        found = {}
        for stream in streams:
            for node in nodes:
                if node in self.down:
                    found[(stream, node)] = False
                elif holders[stream] & sure_parts[node]:
                    found[(stream, node)] = True
                else:
                    found[(stream, node)] = None if holders[stream] & maybe_parts[node] else False
        return found

    def probe_plan(self, streams, nodes, sample: int, rng) -> list[tuple[str, str]]:
        """Pairs to load that leave the model's questions open: every pair predicted unavailable (a
        failed load changes nothing) and `sample` of those predicted available at a node not holding
        the stream (each such load makes the node a holder and may evict: the model records it, but
        loading them all would put every stream everywhere, and no eviction, pin or cut would matter)."""
        predicted = self.availability_map(streams, nodes)
        unavailable = [pair for pair, p in predicted.items() if p is False]
        remote = [(s, n) for (s, n), p in predicted.items() if p is True and n not in self.holders(s)]
        return unavailable + rng.sample(remote, min(sample, len(remote)))

    def _without(self, graph: nx.Graph, keep_doubtful: bool) -> nx.Graph:
        """The graph less the links loads give up on, and less the doubtful ones unless kept."""
        pruned = graph.copy()
        for link, (loss, delay_ms) in self.shaped.items():
            u, v = sorted(link)
            if not pruned.has_edge(u, v):
                continue
            delay = delay_ms / 1000
            if self.timing.load_cut(delay) or (not keep_doubtful and not self.timing.load_sure(loss, delay)):
                pruned.remove_edge(u, v)
        return pruned

    def used(self, node: str, stream: str) -> list[str]:
        """A create, load, update or pin at `node`: the stream becomes its most recent."""
        self._touched.add(node)
        return self.caches[node].use(stream)

    def wrote(self, stream: str, bound: int) -> None:
        """A create or update through the harness that may cost a cache up to `bound` bytes
        (write_bounds.py). Every node holding the stream in its cache grows with it, the writer and
        those the write reaches by gossip alike."""
        self.stream_bytes[stream] = self.stream_bytes.get(stream, 0) + bound
        if self.cache_bytes is not None:  # a look at every node: only where there is a limit to check
            self._touched.update(node for node, cache in self.caches.items() if stream in cache.order)

    def check_bytes(self) -> None:
        """After an operation's bookkeeping is done: refuse to go on predicting a cache that may be
        over its byte limit. The node may then evict streams the count alone keeps, and a check would
        blame it for what the model cannot see. Streams the harness did not write count 0 (it knows
        no bound for them)."""
        touched, self._touched = self._touched, set()
        if self.cache_bytes is None:
            return
        for node in sorted(touched):
            bound = sum(self.stream_bytes.get(stream, 0) for stream in self.caches[node].order)
            if bound > self.cache_bytes:
                raise CacheBeyondModel(
                    f"{node}'s stream cache may reach its byte limit ({self.cache_bytes:,} bytes; the streams "
                    f"it holds may take up to {bound:,}), and the model predicts the cache by count only: "
                    f"give the nodes a larger cache_bytes setting, or write less content", node=node)

    # -- events --------------------------------------------------------------------------------

    def went_down(self, node: str) -> None:
        self.down.add(node)

    def came_up(self, node: str, restarted: bool) -> None:
        self.down.discard(node)
        if restarted:  # the cache is memory: a restart empties it, pins stay
            self.caches[node].clear()
        self._graph_changed()

    def identity_changed(self, node: str, peer_id: str) -> None:
        self.identity[node] = peer_id
        self._graph_changed()

    def accept_identity(self, node: str, peer: str) -> None:
        self.trusted[node][peer] = self.identity[peer]
        self._graph_changed()

    def links_changed(self, allowed: nx.DiGraph | None, shaped: dict | None = None) -> None:
        """New link rules: which directions are allowed, and the lossy or slow links."""
        self.allowed = allowed
        self.shaped = dict(shaped or {})
        self._graph_changed()

    def mined(self, node: str, hashes: list[str]) -> None:
        self.chain.mined(node, hashes, self.component(node))

    def _graph_changed(self, in_between: bool = False) -> list[Reorg]:
        """Blocks flow wherever links now allow: each component converges on its most-work branch."""
        if self._deferring:
            self._deferred = True
            return []
        return self.chain.converge(nx.connected_components(self.expected_graph()), in_between=in_between)

    @contextmanager
    def one_change(self) -> Iterator[None]:
        """Several graph changes made at once (heal undoes every fault in a row): the chain converges
        once, on the final graph, where every node ends; but each change takes effect when its own
        link is back, so on the way a node may follow a branch of a part that rejoined it sooner
        (ChainModel.converge's `in_between`: the reorgs it may show)."""
        self._deferring, self._deferred = True, False
        try:
            yield
        finally:
            self._deferring = False
            if self._deferred:
                self._graph_changed(in_between=True)

    def pinned(self, node: str, stream: str) -> None:
        """A pin is a use too: the node loaded the stream to pin it."""
        self.used(node, stream)
        self.pins[node].add(stream)

    def unpinned(self, node: str, stream: str) -> list[str]:
        """Unpinning reads the stream from the pin store into the cache when it is not there (as
        js-ceramic's pin rm: Repository.get adds what it reads from the state store to the cache),
        so a pinned stream evicted from the cache stays held, and may push the oldest out."""
        self.pins[node].discard(stream)
        return [] if stream in self.caches[node].order else self.used(node, stream)

    def evicted(self, node: str, count: int | None = None, ids: list[str] | None = None) -> list[str]:
        return self.caches[node].evict(count, ids)

    def cluster_added(self, stream: str, rmin: int, rmax: int) -> None:
        self.cluster[stream] = (rmin, rmax)

    def cluster_allocated(self, allocation: dict[str, set[str]]) -> None:
        """Nodes pin exactly their allocated cluster streams (a newly allocated one is loaded first)."""
        for node, streams in allocation.items():
            for stream in streams - self.pins[node]:
                self.used(node, stream)
            self.pins[node] = (self.pins[node] - set(self.cluster)) | streams


def _parts(graph: nx.Graph) -> dict[str, set[str]]:
    """Each node's component: one set per component, shared by its nodes. (A copy per node is
    n sets of n names for a connected graph: at 10,000 nodes, 5 GB for each of the two graphs.)"""
    parts = {}
    for component in nx.connected_components(graph):
        parts.update(dict.fromkeys(component, component))
    return parts
