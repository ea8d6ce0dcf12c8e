"""The running nodes and what the harness knows of them: the one owner of the runtimes, the model,
the timeline, the active faults and the streams the harness made.

`Network` is the verbs over a fleet; faults act on it through the narrow `FaultTarget` it
satisfies, and the facets (oracle, streams, chain, cluster) each take it, so none of them needs
the Network.
"""

from __future__ import annotations

import networkx as nx
from faker import Faker

from fakenet.errors import ConfigError, MissingCapability, NodeGone
from fakenet.harness import clock, listening, observe, write_bounds
from fakenet.harness.backends.base import NodeRuntime
from fakenet.harness.fanout import fan_out
from fakenet.harness.faults import LinkFault
from fakenet.harness.links import LinkPlan
from fakenet.harness.model import NetworkModel, Timing
from fakenet.harness.timeline import Timeline
from fakenet.harness.waits import WaitTimeout, wait_for
from fakenet.kinds import NodeKind


# Seconds a wait gives the engine's answer to lost() before it looks at the nodes without it: an inspect
# takes milliseconds, a loaded CI engine a second or so; a hung one would otherwise hold every wait.
ENGINE_PATIENCE = 5.0


class Fleet:
    def __init__(self, kind: NodeKind, topology: nx.Graph, names: list[str], settings: dict, seed: int,
                 start_timeout: float):
        self.kind, self.topology, self.names, self.settings = kind, topology, names, settings
        self.seed, self.start_timeout = seed, start_timeout
        self.runtimes: dict[str, NodeRuntime] = {}
        self.model: NetworkModel | None = None  # once the nodes answer with their identities
        self.timeline = Timeline()
        self.active: list = []  # lasting faults, oldest first
        self.stream_ids: list[str] = []  # every stream the harness created, in order
        self.contents: dict[str, object] = {}  # stream -> the content the harness last wrote (write bounds)
        self.faker = Faker()
        self.faker.seed_instance(seed)
        self._start_deadline = 0.0  # begin_start()
        self.watch = lambda fresh=False, within=None: []  # the backend's lost() (Network sets it): what no wait can outlast
        self.starting = False  # Network.start's waits: many at once, each short; none asks the engine afresh

    def gone(self, expected: str, looks: int = 1, left: float | None = None) -> NodeGone | None:
        """For a wait before each look (waits.wait_for's `gone`): the nodes' network taken away under
        the run ends the wait now, as the infrastructure's failure; polling old addresses only ran
        out the step's deadline and blamed the timeout. A step's or test's wait asks the engine afresh
        before its first look: an answer from before the network went would let that look hang on
        connections to addresses that are gone (30 s, the RPC timeout). `left`: the wait's seconds to
        its deadline; the engine gets at most ENGINE_PATIENCE of them (EngineSilent past that)."""
        within = None if left is None else min(left, ENGINE_PATIENCE)
        endings = self.watch(fresh=looks == 0 and not self.starting, within=within)
        if not endings:
            return None
        return NodeGone("; ".join(ending.sentence() for ending in endings) +
                        f"; then: stopped waiting for {expected.splitlines()[0] if expected else 'a condition'}",
                        outside=True)

    def begin_start(self) -> None:
        """Nodes spawned: from now, every wait until they are up (answering, trust, the graph) shares
        one deadline, start_timeout away. Each wait had a start_timeout of its own (and the RPC one at
        least a second), so a start could take three times its timeout, and a tiny timeout could
        still pass wherever the harness ran slower than the nodes."""
        self._start_deadline = clock.monotonic() + self.start_timeout

    def start_budget(self, expected: str) -> float:
        """The seconds left for the start's next wait; WaitTimeout if none are left: nothing is checked
        after the deadline."""
        left = self._start_deadline - clock.monotonic()
        if left <= 0:
            raise WaitTimeout(f"timed out after {self.start_timeout:g}s (start_timeout)\n  expected: {expected}\n"
                              f"  observed: the start's time was used up before this was checked")
        return left

    def requires(self, capability: str) -> None:
        if capability not in self.kind.capabilities:
            raise MissingCapability(f"node kind {self.kind.name!r} has no {capability!r} capability "
                              f"(it has: {', '.join(sorted(self.kind.capabilities)) or 'none'})")

    def runtime(self, name: str) -> NodeRuntime:
        if name not in self.runtimes:
            raise ConfigError(f"no node {name!r} in this network (nodes: {', '.join(self.names)})")
        return self.runtimes[name]

    def up(self) -> list[str]:
        return [name for name in self.names if name not in self.model.down]

    def logs(self, tail: int = 10) -> list[str]:
        return [line for name in self.names for line in self.runtimes[name].logs(tail)]

    def parallel(self, function, names) -> dict:
        return dict(zip(names, fan_out(function, names, 16)))

    def learn_identities(self, down=(), known: dict[str, str] | None = None) -> None:
        """Build the model from the identities the nodes answer with (at start, or attaching to a
        network whose `down` nodes are stopped or paused: down, as a crash or a pause leaves a node);
        `known` are identities asked for already."""
        identities = known if known is not None else self.parallel(
            lambda name: "" if name in down else self.runtimes[name].client.identity(), self.names)
        timing = self.timing()
        cache_bytes = self.settings.get("cache_bytes", self.kind.default_cache_bytes)
        self.model = NetworkModel(self.topology, identities, int(self.settings.get("cache_limit", 500)),
                                  sync_timeout=timing.sync_timeout, peer_timeout=timing.peer_timeout,
                                  cache_bytes=None if cache_bytes is None else int(cache_bytes))
        for name in down:
            self.model.went_down(name)

    def wait_answering(self, name: str) -> None:
        runtime = self.runtimes[name]
        url = "" if clock.is_virtual() else runtime.url("rpc")  # sim serves no port
        if url.startswith("http://"):  # a real socket: connect until the port accepts (listening.py says why)
            expected = f"{name} accepts connections at {url}"
            wait_for(lambda: listening.accepts(url), bool, timeout=self.start_budget(expected), expected=expected,
                     logs=lambda: runtime.logs(20), gone=self.gone)
        expected = f"{name} answers RPC"
        wait_for(lambda: runtime.client.ready(), bool, timeout=self.start_budget(expected), expected=expected,
                 logs=lambda: runtime.logs(20), gone=self.gone)

    def answering_identity(self, name: str) -> str:
        """Wait for a node to answer, then ask its identity at once: at start, the first nodes are
        asked while the last still start, instead of a round over all 64 after the last answers
        (3–5 s of a loaded 64-node start)."""
        self.wait_answering(name)
        return self.runtimes[name].client.identity()

    # -- what faults act on (FaultTarget) --------------------------------------------------------

    def start_node(self, name: str) -> None:
        runtime = self.runtime(name)
        runtime.start()
        self.begin_start()
        self.wait_answering(name)
        self.model.identity_changed(name, runtime.client.identity())
        self.model.came_up(name, restarted=True)
        self.sync_links()

    def sync_links(self) -> str:
        plan = LinkPlan(self.topology, [fault for fault in self.active if isinstance(fault, LinkFault)])
        self.model.links_changed(plan.allowed, plan.shaped())
        identities = dict(self.model.identity)
        up = self.up()
        methods = self.parallel(lambda name: self.runtimes[name].set_links(plan.rules_for(name, self.seed), identities), up)
        return next(iter(methods.values()), "no node up")

    def create_stream(self, name: str, content=None, pin: bool = False) -> str:
        self.requires("streams")
        content = content if content is not None else {"title": self.faker.sentence(), "body": self.faker.text(120)}
        stream_id = self.runtime(name).client.create_stream(content, pin)
        self.contents[stream_id] = content
        self.model.wrote(stream_id, write_bounds.create_bound(content))
        self.model.used(name, stream_id)
        if pin:
            self.model.pinned(name, stream_id)
        self.stream_ids.append(stream_id)
        self.model.check_bytes()
        return stream_id

    def updated_stream(self, name: str, stream_id: str, content) -> None:
        """An update through the harness, as the model sees it: its bound from the content the
        harness last wrote (a stream it did not write is bounded as a create of the new content)."""
        old = self.contents.get(stream_id)
        self.contents[stream_id] = content
        bound = write_bounds.create_bound(content) if old is None else write_bounds.update_bound(old, content)
        self.model.wrote(stream_id, bound)
        self.model.used(name, stream_id)
        self.model.check_bytes()

    def timing(self) -> Timing:
        """The timing bounds the settings give the nodes (the model's are built from these)."""
        timeout, peer = self.settings.get("sync_timeout"), self.settings.get("peer_timeout")
        return Timing(float(timeout) if timeout is not None else None, float(peer) if peer is not None else None)

    def load_bound(self) -> dict:
        """The keyword a streams call that may load from the network takes: `within`, the seconds
        the kind's sync timeout lets a load take; none where the kind has no such setting (a kind's
        client written before `within` existed still works). From the settings, not the model: a
        model with a planted bug (soak --mutants) must not change how long the harness waits."""
        within = self.timing().load_within()
        return {} if within is None else {"within": within}

    # -- observation, recorded in the model ------------------------------------------------------

    def observed_graph(self) -> nx.Graph:
        return observe.observed_graph(self.runtimes, self.up(), self.model.identity)

    def try_load(self, name: str, stream_id: str) -> bool:
        """Observed availability: True if the load succeeds (a use of the cache), False if unavailable."""
        self.requires("streams")
        ok = self.runtime(name).client.try_load(stream_id, **self.load_bound())
        if ok:
            self.model.used(name, stream_id)
            self.model.check_bytes()
        return ok
