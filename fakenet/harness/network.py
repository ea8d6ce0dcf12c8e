"""`Network`: N nodes with fresh state on a backend, faults, and the oracle's assertions.

    with Network(nodes=4, backend="local") as net:
        stream = net.node("node").create_stream({"title": "hi"}, pin=True)
        net.crash("node")
        net.expect_graph()                       # node gone, the other three still meshed
        net.expect_unavailable(stream, ["node2"])
        net.heal()                               # every fault undone
        net.expect_recovered(within=10)
"""

from __future__ import annotations


import networkx as nx
from faker import Faker

from fakenet import kinds
from fakenet.errors import ConfigError, ExpectationFailed, FakenetError
from fakenet.harness import backends, clock, expect, faults, observe
from fakenet.harness import topology as topologies
from fakenet.harness.backends import LinkRules, NodeSpec
from fakenet.harness.fanout import fan_out
from fakenet.harness.model import NetworkModel
from fakenet.harness.node import Node
from fakenet.harness.timeline import Event, Timeline
from fakenet.harness.waits import wait_for
from fakenet.kinds import CHAIN, CLUSTER, IDENTITY, STREAMS, IdentityClient

__all__ = ["Event", "Network"]


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
        if not isinstance(topology, str):
            self.topology = topologies.check(topology)
            self.names = list(self.topology.nodes)
        else:
            self.names = topologies.node_names(nodes)
            self.topology = topologies.build(topology, self.names, seed=seed)
        self.seed, self.start_timeout = seed, start_timeout
        self.settings = {**self.kind.test_settings, **(settings or {})}
        self.kind.check_settings(self.settings)
        self.cache_limit = int(self.settings.get("cache_limit", 500))
        self.backend = backend if isinstance(backend, backends.Backend) else backends.create(backend, self.kind, seed=seed, **backend_options)
        self.faker = Faker()
        self.faker.seed_instance(seed)
        self.runtimes: dict = {}
        self.active: list[faults.Fault] = []
        self.timeline = Timeline()
        self.streams: list[str] = []
        self.link_method = ""
        self.model: NetworkModel | None = None

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
        specs = [NodeSpec(name, tuple(topologies.peers_of(self.topology, name)), self.settings) for name in self.names]
        self.runtimes = self.backend.create(specs)
        if self.backend.name in ("docker", "hosts"):  # container starts are slow: overlap them
            self._parallel(lambda name: self.runtimes[name].start(), self.names)
        else:  # processes start in this thread: their parent-death signal is tied to it
            for name in self.names:
                self.runtimes[name].start()
        self._parallel(self._wait_answering, self.names)
        identities = self._parallel(lambda name: self.runtimes[name].client.identity(), self.names)
        self.model = self._model(identities)
        self.timeline.restart_clock()
        self.expect_graph(timeout=self.start_timeout)
        self._wait_trusted()

    @classmethod
    def attach(cls, project: str = "fakenet", kind: str | kinds.NodeKind | None = None) -> Network:
        """Take over a network that `./fake up -d` started (full mesh, compose labels, the credentials in
        each container's environment). Faults are undone on close; the containers stay: compose owns them."""
        from fakenet.harness.backends.docker import attach_compose

        kind = kinds.get(kind)
        backend, runtimes = attach_compose(kind, project)
        net = cls(len(runtimes), backend=backend, kind=kind)
        net.runtimes = runtimes
        identities = net._parallel(lambda name: runtimes[name].client.identity(), net.names)
        net.model = net._model(identities)
        return net

    def _wait_trusted(self) -> None:
        """The model starts with every node trusting its neighbours' keys; a node trusts a key only
        once it has dialled it itself, which can come after the link is up (the neighbour dialled first).
        A lost identity before then would be trusted on first use, not refused, as the model predicts."""
        if IDENTITY not in self.kind.capabilities:
            return

        def wait(name: str) -> None:
            client = self.runtimes[name].client
            if not isinstance(client, IdentityClient):
                return
            expected = set(self.model.trusted[name].values())
            wait_for(client.trusted_identities, lambda trusted: expected <= trusted, timeout=self.start_timeout,
                     expected=f"{name} trusts its neighbours' keys {sorted(expected)}",
                     logs=lambda: self.runtimes[name].logs(20))

        self._parallel(wait, self.names)

    def _model(self, identities: dict[str, str]) -> NetworkModel:
        timeout, peer = self.settings.get("sync_timeout"), self.settings.get("peer_timeout")
        return NetworkModel(self.topology, identities, self.cache_limit,
                            sync_timeout=float(timeout) if timeout is not None else None,
                            peer_timeout=float(peer) if peer is not None else None)

    def close(self) -> None:
        """Undo every fault (also after a failure), then remove everything the backend made."""
        try:
            self.heal(check=False)
        except Exception as exc:  # teardown goes on: the backend removes what the undo could not
            self.timeline.record("undo", f"heal at teardown failed: {exc!r}")
        finally:
            self.backend.close()

    def _parallel(self, function, names):
        return dict(zip(names, fan_out(function, names, 16)))

    def _wait_answering(self, name: str) -> None:
        runtime = self.runtimes[name]
        wait_for(lambda: runtime.client.ready(), bool, timeout=self.start_timeout,
                 expected=f"{name} answers RPC", logs=lambda: runtime.logs(20))

    def requires(self, capability: str) -> None:
        if capability not in self.kind.capabilities:
            raise ConfigError(f"node kind {self.kind.name!r} has no {capability!r} capability "
                              f"(it has: {', '.join(sorted(self.kind.capabilities)) or 'none'})")

    # -- nodes -----------------------------------------------------------------------------------

    def node(self, name: str) -> Node:
        if name not in self.runtimes:
            raise FakenetError(f"no node {name!r} in this network (nodes: {', '.join(self.names)})")
        return Node(self, name)

    @property
    def nodes(self) -> list[Node]:
        return [Node(self, name) for name in self.names]

    def runtime(self, name: str):
        self.node(name)
        return self.runtimes[name]

    def up(self) -> list[str]:
        return [name for name in self.names if name not in self.model.down]

    def start_node(self, name: str) -> None:
        """Start a stopped or crashed node; it comes back with its data dir (pins, chain), cache empty."""
        runtime = self.runtime(name)
        runtime.start()
        self._wait_answering(name)
        self.model.identity_changed(name, runtime.client.identity())
        self.model.came_up(name, restarted=True)
        self.sync_links()

    def logs(self, tail: int = 10) -> list[str]:
        return [line for name in self.names for line in self.runtimes[name].logs(tail)]

    # -- faults ----------------------------------------------------------------------------------

    def apply(self, fault: faults.Fault) -> faults.Fault:
        started = clock.monotonic()
        if fault.lasting:
            self.active.append(fault)  # first: link faults compute the rules from the active list
        try:
            fault.apply(self)
        except BaseException:
            if fault.lasting:
                self.active.remove(fault)
            raise
        how = f" via {self.link_method}" if isinstance(fault, faults.Degrade) else ""
        self.timeline.record("apply", f"{fault}{how}", clock.monotonic() - started)
        return fault

    def undo(self, fault: faults.Fault) -> None:
        started = clock.monotonic()
        self.active.remove(fault)
        fault.undo(self)
        self.timeline.record("undo", str(fault), clock.monotonic() - started)

    def heal(self, check: bool = False) -> None:
        """Undo every active fault, newest first."""
        with self.model.one_change():
            for fault in reversed(list(self.active)):
                self.undo(fault)
        if check:
            self.expect_recovered()

    def crash(self, name: str):
        return self.apply(faults.Crash(name))

    def stop(self, name: str):
        return self.apply(faults.Stop(name))

    def restart(self, name: str):
        return self.apply(faults.Restart(name))

    def pause(self, name: str):
        return self.apply(faults.Pause(name))

    def lose_identity(self, name: str):
        self.requires(IDENTITY)
        return self.apply(faults.LoseIdentity(name))

    def restore_identity(self, name: str) -> None:
        self.undo_latest(name, faults.LoseIdentity)

    def undo_latest(self, name: str, *kinds: type) -> None:
        """Undo the newest active fault of these kinds on a node (start after crash, unpause…)."""
        for fault in reversed(self.active):
            if isinstance(fault, kinds) and getattr(fault, "node", None) == name:
                self.undo(fault)
                return
        raise FakenetError(f"{name} has no active {' or '.join(k.__name__.lower() for k in kinds)} to undo")

    def evict_cache(self, name: str, count: int | None = None, ids: list[str] | None = None):
        self.requires(STREAMS)
        return self.apply(faults.EvictCache(name, count, tuple(ids) if ids is not None else None))

    def cache_pressure(self, name: str, count: int):
        self.requires(STREAMS)
        return self.apply(faults.CachePressure(name, count))

    def partition(self, groups):
        return self.apply(faults.Partition(tuple(tuple(g) for g in groups)))

    def cut_links(self, graph: nx.Graph):
        return self.apply(faults.CutLinks(graph))

    def isolate(self, name: str):
        return self.apply(faults.Isolate(name))

    def degrade(self, u: str, v: str, loss: float = 0.0, delay_ms: float = 0.0):
        return self.apply(faults.Degrade(u, v, loss, delay_ms))

    def sync_links(self) -> None:
        """Push the link rules (every active link fault combined) to every up node, and tell the model."""
        allowed = self._allowed()
        self.model.links_changed(allowed, self._shaped())
        rules = {name: self._rules_for(name, allowed) for name in self.up()}
        identities = dict(self.model.identity)
        methods = self._parallel(lambda name: self.runtimes[name].set_links(rules[name], identities), list(rules))
        self.link_method = next(iter(methods.values()), self.link_method)

    def _allowed(self) -> nx.DiGraph | None:
        graphs = [g for f in self.active if isinstance(f, faults.LinkFault) and (g := f.allowed(self.names)) is not None]
        if not graphs:
            return None
        allowed = nx.DiGraph()  # the faults' intersection on the topology's links: only those can connect
        allowed.add_nodes_from(self.names)
        allowed.add_edges_from(e for e in self.topology.to_directed().edges if all(g.has_edge(*e) for g in graphs))
        return allowed

    def _shaped(self) -> dict:
        """link -> (loss, delay in ms), the strongest of the active degrades on it."""
        shaped: dict = {}
        for fault in self.active:
            if isinstance(fault, faults.Degrade):
                link = frozenset((fault.u, fault.v))
                loss, delay = shaped.get(link, (0.0, 0.0))
                shaped[link] = (max(loss, fault.loss), max(delay, fault.delay_ms))
        return shaped

    def _rules_for(self, name: str, allowed: nx.DiGraph | None) -> LinkRules:
        """A node blocks the peers it may not send to or hear from, by the faults' own rules (never the
        model's predicate: a bug there would be mirrored into the network and never seen). Both ends
        enforce a one-way cut, so it holds while the sender restarts without its filter."""
        blocked = frozenset() if allowed is None else frozenset(
            v for v in self.topology.neighbors(name) if not (allowed.has_edge(name, v) and allowed.has_edge(v, name)))
        degraded = [f for f in self.active if isinstance(f, faults.Degrade) and name in (f.u, f.v)]
        other = {id(f): (f.v if f.u == name else f.u) for f in degraded}
        return LinkRules(blocked, tuple((other[id(f)], f.loss) for f in degraded if f.loss),
                         tuple((other[id(f)], f.delay_ms) for f in degraded if f.delay_ms), self.seed)

    # -- streams (recorded in the model) -----------------------------------------------------------

    def streams_client(self, name: str):
        self.requires(STREAMS)
        return self.runtime(name).client

    def create_stream(self, name: str, content=None, pin: bool = False) -> str:
        content = content if content is not None else {"title": self.faker.sentence(), "body": self.faker.text(120)}
        stream_id = self.streams_client(name).create_stream(content, pin)
        self.model.used(name, stream_id)
        if pin:
            self.model.pinned(name, stream_id)
        self.streams.append(stream_id)
        return stream_id

    def load_stream(self, name: str, stream_id: str) -> dict:
        state = self.streams_client(name).load_stream(stream_id)
        self.model.used(name, stream_id)
        return state

    def update_stream(self, name: str, stream_id: str, content) -> dict:
        state = self.streams_client(name).update_stream(stream_id, content)
        self.model.used(name, stream_id)
        return state

    def pin_stream(self, name: str, stream_id: str) -> None:
        self.streams_client(name).pin_stream(stream_id)
        self.model.pinned(name, stream_id)

    def unpin_stream(self, name: str, stream_id: str) -> None:
        self.streams_client(name).unpin_stream(stream_id)
        self.model.unpinned(name, stream_id)

    def try_load(self, name: str, stream_id: str) -> bool:
        """Observed availability: True if the load succeeds (a use of the cache), False if unavailable."""
        ok = self.streams_client(name).try_load(stream_id)
        if ok:
            self.model.used(name, stream_id)
        return ok

    def cluster_pin(self, name: str, stream_id: str, rmin: int, rmax: int) -> None:
        """Add a stream to the shared cluster pinset through one node, once that node's failure
        detector sees every peer of its component (a fresh node has heard no heartbeat yet)."""
        self.requires(CLUSTER)
        client, component = self.runtime(name).client, self.model.component(name)
        wait_for(client.live_cluster_peers, lambda live: live >= len(component),
                 timeout=30, expected=f"{name} sees {len(component)} live cluster peers", logs=lambda: self.logs(5))
        client.cluster_pin(stream_id, rmin, rmax)
        self.model.cluster_added(stream_id, rmin, rmax)

    def expect_allocations(self, within: float = 20.0) -> float:
        from fakenet.harness import cluster

        return cluster.expect_allocations(self, within)

    def expect_replicated(self, streams: list[str], minimum: int) -> None:
        from fakenet.harness import cluster

        cluster.expect_replicated(self, streams, minimum)

    # -- chain -------------------------------------------------------------------------------------

    def mine(self, name: str, blocks: int = 1) -> list[str]:
        """Mine on a node; the model extends that node's branch, and its component follows."""
        self.requires(CHAIN)
        hashes = self.runtime(name).client.mine(blocks)
        self.model.mined(name, hashes)
        return hashes

    def expect_tip(self, within: float = 20.0) -> float:
        """Every up node on the tip the model predicts (forks, partitions and heals included)."""
        return expect.tips(self, within)

    def expect_reorg(self, nodes=None, within: float = 20.0) -> dict:
        """Nodes that switched branches show the abandoned one in getchaintips with the predicted depth."""
        return expect.reorgs(self, [nodes] if isinstance(nodes, str) else nodes, within)

    # -- the oracle ------------------------------------------------------------------------------

    def expected_graph(self) -> nx.Graph:
        return self.model.expected_graph()

    def observed_graph(self) -> nx.Graph:
        return observe.observed_graph(self.runtimes, self.up(), self.model.identity)

    def holders(self, stream_id: str) -> set[str]:
        return self.model.holders(stream_id)

    def expected_available(self, stream_id: str, name: str) -> bool | None:
        """True or False as predicted; None where a slow or lossy link leaves it open."""
        return self.model.availability(stream_id, name)

    def expect_graph(self, timeout: float = 20.0) -> float:
        return expect.graph(self, timeout)

    def expect_available(self, streams=None, nodes=None) -> None:
        expect.availability(self, streams, nodes, want=True)

    def expect_unavailable(self, streams=None, nodes=None) -> None:
        expect.availability(self, streams, nodes, want=False)

    def expect_availability(self, streams=None, nodes=None) -> dict:
        """Every (stream, node) pair as predicted, available or not."""
        return expect.availability(self, streams, nodes, want=None)

    def expect_holders(self, streams=None) -> None:
        expect.holders(self, streams)

    def expect_converged(self, timeout: float = 20.0) -> float:
        return expect.converged(self, timeout)

    def expect_recovered(self, within: float = 20.0) -> float:
        """Wait for the expected graph and chain convergence; return the seconds it took."""
        started = clock.monotonic()
        try:
            self.expect_graph(timeout=within)
            if CHAIN in self.kind.capabilities:
                self.expect_converged(timeout=max(0.5, within - (clock.monotonic() - started)))
        except ExpectationFailed as exc:
            raise ExpectationFailed(f"not recovered within {within:g}s: {exc}", expected=exc.expected,
                                    observed=exc.observed, difference=exc.difference) from exc
        took = clock.monotonic() - started
        self.timeline.record("recovered", f"graph and chain in {took:.2f}s", took)
        return took

    def draw(self, path) -> None:
        from fakenet.harness.draw import draw

        draw(self, path)

