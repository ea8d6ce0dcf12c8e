"""`Network`: N nodes with fresh state on a backend: their lifecycle and the faults.

    with Network(nodes=4, backend="local") as net:
        stream = net.streams.create("node", {"title": "hi"}, pin=True)
        net.crash("node")
        net.oracle.expect_graph()                       # node gone, the other three still meshed
        net.oracle.expect_unavailable(stream, ["node2"])
        net.heal()                                      # every fault undone
        net.oracle.expect_recovered(within=10)

What a kind can do hangs off the network as a facet that exists only when the kind has the
capability: `net.streams`, `net.chain`, `net.cluster`. Everything the model predicts and checks
is `net.oracle`. The state they share (runtimes, model, timeline, active faults) has one owner,
the fleet (fakenet.harness.fleet).
"""

from __future__ import annotations

import operator

import networkx as nx

from fakenet import kinds
from fakenet.errors import ConfigError, FakenetError, MissingCapability
from fakenet.harness import backends, clock, faults
from fakenet.harness import topology as topologies
from fakenet.harness.backends import NodeSpec
from fakenet.harness.chain import Chain
from fakenet.harness.cluster import Cluster
from fakenet.harness.fleet import Fleet
from fakenet.harness.node import Node
from fakenet.harness.oracle import Oracle
from fakenet.harness.renamed import RENAMED, follow
from fakenet.harness.streams import Streams
from fakenet.harness.timeline import Event
from fakenet.harness.waits import WaitTimeout, wait_for
from fakenet.kinds import CHAIN, CLUSTER, IDENTITY, STREAMS, IdentityClient

__all__ = ["Event", "Network"]

FACETS = {STREAMS: Streams, CHAIN: Chain, CLUSTER: Cluster}
GRAPH_AFTER_UNTRUSTED = 5.0  # seconds: the graph check after a start whose trust wait timed out


def _node_count(nodes) -> int:
    """A whole number of nodes, at least 1: Network(0) and Network(-1) made one node without a word, and
    Network("4") (a count read from the environment) failed inside the naming with a TypeError."""
    try:
        count = operator.index(nodes)  # int, or an integer type such as numpy's
    except TypeError:
        count = None
    if isinstance(nodes, bool) or count is None or count < 1:
        raise ConfigError(f"nodes: expected a whole number of nodes, at least 1, not {nodes!r}")
    return count


class Network:
    """N nodes of a kind on a backend, with the model that predicts them.

    `kind` names a node kind (fakenet's own by default; see fakenet/kinds); `settings` are the
    kind's own (for the fakenet kind: cache_limit, sync_timeout, peer_timeout, cluster_ttl, …);
    the remaining keyword arguments are the backend's options, and unknown ones are errors.
    """

    def __init__(self, nodes: int = 4, backend: str | backends.Backend = "local", topology: str | nx.Graph = "full",
                 *, kind: str | kinds.NodeKind | None = None, seed: int = 0, start_timeout: float = 60.0,
                 settings: dict | None = None, **backend_options):
        self.kind = kinds.get(kind)
        if isinstance(topology, str):
            self.names = topologies.node_names(_node_count(nodes))
            self.topology = topologies.build(topology, self.names, seed=seed)
        else:
            self.topology = topologies.check(topology)
            self.names = list(self.topology.nodes)
        self.seed = seed
        self.settings = {**self.kind.test_settings, **(settings or {})}
        self.kind.check_settings(self.settings)
        own_backend = not isinstance(backend, backends.Backend)
        self.backend = backends.create(backend, self.kind, seed=seed, **backend_options) if own_backend else backend
        try:
            self.fleet = Fleet(self.kind, self.topology, self.names, self.settings, seed, start_timeout)
            self.fleet.watch = self.backend.lost
            self.oracle = Oracle(self.fleet)
            for capability, facet in FACETS.items():
                if capability in self.kind.capabilities:
                    setattr(self, capability, facet(self.fleet))
        except BaseException as exc:
            # No Network to close() comes back to the caller: the backend made here goes now (a
            # sim backend's world would leave its network time installed in the process's clocks).
            if own_backend:
                try:
                    self.backend.close()
                except Exception as closing:  # the failure that came first stays the one raised
                    exc.add_note(f"closing the {type(self.backend).__name__} then failed too: {closing}")
            raise

    def __getattr__(self, name: str):
        """Only reached for attributes the instance lacks: a facet of a capability the kind has not,
        or a name from before the facets (kept for one release, with a DeprecationWarning)."""
        if name in RENAMED:
            return follow(self, name)
        if name in FACETS:
            raise MissingCapability(f"node kind {self.kind.name!r} has no {name!r} capability, so this "
                                    f"network has no net.{name} (it has: {', '.join(sorted(self.kind.capabilities)) or 'none'})")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # -- lifecycle -------------------------------------------------------------------------------

    def __enter__(self) -> Network:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def start(self) -> None:
        fleet = self.fleet
        fleet.starting = True
        try:
            self._start(fleet)
        finally:
            fleet.starting = False

    def _start(self, fleet: Fleet) -> None:
        specs = [NodeSpec(name, tuple(topologies.peers_of(self.topology, name)), self.settings) for name in self.names]
        fleet.runtimes = self.backend.create(specs)
        if self.backend.parallel_start:
            fleet.parallel(lambda name: fleet.runtimes[name].start(), self.names)
        else:
            for name in self.names:
                fleet.runtimes[name].start()
        fleet.begin_start()
        fleet.learn_identities(known=fleet.parallel(fleet.answering_identity, self.names))
        fleet.timeline.restart_clock()
        # Trust first: each node's wait ends as soon as that node has dialled its neighbours, which
        # mostly leaves the links up, so one round of the graph check confirms them. The other way
        # round, the graph check needed a round over all nodes that saw every link at once (about
        # 1.5 s a round at 64 loaded nodes, two rounds or more) and then a round of trust on top.
        try:
            self._wait_trusted()
        except WaitTimeout:
            # A node that never trusts a neighbour mostly has the link missing: the graph's
            # difference (which link, whose logs) says more than the trust wait does.
            self.oracle.expect_graph(timeout=min(GRAPH_AFTER_UNTRUSTED, fleet.start_timeout))
            raise
        self.oracle.expect_graph(timeout=fleet.start_budget("the topology's links, all up"))

    @classmethod
    def attach(cls, project: str = "fakenet", kind: str | kinds.NodeKind | None = None) -> Network:
        """Take over a network that `./fake up -d` started (full mesh, compose labels, the credentials in
        each container's environment). Faults are undone on close; the containers stay: compose owns them."""
        from fakenet.harness.backends.docker import attach_compose

        kind = kinds.get(kind)
        backend, runtimes, stopped = attach_compose(kind, project)
        net = cls(len(runtimes), backend=backend, kind=kind)
        net.fleet.runtimes = runtimes
        net.fleet.learn_identities(down=stopped)
        return net

    def _wait_trusted(self) -> None:
        """The model starts with every node trusting its neighbours' keys; a node trusts a key only
        once it has dialled it itself, which can come after the link is up (the neighbour dialled first).
        A lost identity before then would be trusted on first use, not refused, as the model predicts."""
        if IDENTITY not in self.kind.capabilities:
            return

        def wait(name: str) -> None:
            client = self.fleet.runtimes[name].client
            if not isinstance(client, IdentityClient):
                return
            expected = set(self.fleet.model.trusted[name].values())
            said = f"{name} trusts its neighbours' keys {sorted(expected)}"
            wait_for(client.trusted_identities, lambda trusted: expected <= trusted, timeout=self.fleet.start_budget(said),
                     expected=said, logs=lambda: self.fleet.runtimes[name].logs(20), gone=self.fleet.gone)

        self.fleet.parallel(wait, self.names)

    def close(self) -> None:
        """Undo every fault (also after a failure), then remove everything the backend made."""
        try:
            self.heal()
        except Exception as exc:  # teardown goes on: the backend removes what the undo could not
            self.fleet.timeline.record("undo", f"heal at teardown failed: {exc!r}")
        finally:
            self.backend.close()

    # -- nodes -----------------------------------------------------------------------------------

    def node(self, name: str) -> Node:
        self.fleet.runtime(name)  # an unknown name is refused here, with the names there are
        return Node(self.fleet, name)

    @property
    def nodes(self) -> list[Node]:
        return [Node(self.fleet, name) for name in self.names]

    def runtime(self, name: str):
        return self.fleet.runtime(name)

    def up(self) -> list[str]:
        return self.fleet.up()

    def logs(self, tail: int = 10) -> list[str]:
        return self.fleet.logs(tail)

    # -- faults ----------------------------------------------------------------------------------

    def apply(self, fault: faults.Fault) -> faults.Fault:
        started = clock.monotonic()
        if fault.lasting:
            self.fleet.active.append(fault)  # first: link faults compute the plan from the active list
        try:
            how = fault.apply(self.fleet)
        except BaseException:
            if fault.lasting:
                self.fleet.active.remove(fault)
            raise
        self.fleet.timeline.record("apply", f"{fault} {how}" if how else str(fault), clock.monotonic() - started)
        return fault

    def undo(self, fault: faults.Fault) -> None:
        started = clock.monotonic()
        self.fleet.active.remove(fault)
        fault.undo(self.fleet)
        self.fleet.timeline.record("undo", str(fault), clock.monotonic() - started)

    def heal(self) -> None:
        """Undo every active fault, newest first (one change for the model: see NetworkModel.one_change)."""
        if self.fleet.model is None:  # never started: nothing to undo
            return
        with self.fleet.model.one_change():
            for fault in reversed(list(self.fleet.active)):
                self.undo(fault)

    def undo_latest(self, name: str, *kinds: type) -> None:
        """Undo the newest active fault of these kinds on a node (start after crash, unpause…)."""
        for fault in reversed(self.fleet.active):
            if isinstance(fault, kinds) and getattr(fault, "node", None) == name:
                self.undo(fault)
                return
        raise FakenetError(f"{name} has no active {' or '.join(k.__name__.lower() for k in kinds)} to undo")

    def crash(self, name: str):
        return self.apply(faults.Crash(name))

    def stop(self, name: str):
        return self.apply(faults.Stop(name))

    def restart(self, name: str):
        return self.apply(faults.Restart(name))

    def pause(self, name: str):
        return self.apply(faults.Pause(name))

    def lose_identity(self, name: str):
        self.fleet.requires(IDENTITY)
        return self.apply(faults.LoseIdentity(name))

    def restore_identity(self, name: str) -> None:
        self.undo_latest(name, faults.LoseIdentity)

    def accept_identity(self, name: str):
        """Peers' operators trust the identity `name` holds now (after lose_identity)."""
        self.fleet.requires(IDENTITY)
        return self.apply(faults.AcceptIdentity(name))

    def evict_cache(self, name: str, count: int | None = None, ids: list[str] | None = None):
        self.fleet.requires(STREAMS)
        return self.apply(faults.EvictCache(name, count, tuple(ids) if ids is not None else None))

    def cache_pressure(self, name: str, count: int):
        self.fleet.requires(STREAMS)
        return self.apply(faults.CachePressure(name, count))

    def partition(self, groups):
        return self.apply(faults.Partition(tuple(tuple(g) for g in groups)))

    def cut_links(self, graph: nx.Graph):
        return self.apply(faults.CutLinks(graph))

    def isolate(self, name: str):
        return self.apply(faults.Isolate(name))

    def degrade(self, u: str, v: str, loss: float = 0.0, delay_ms: float = 0.0):
        return self.apply(faults.Degrade(u, v, loss, delay_ms))
