"""The step registry: each scenario step name maps to a parser (checked when the file loads)
and a runner (a harness call). Actions change the network; expectations ask the oracle."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Callable

import networkx as nx

from fakenet.errors import ConfigError, ExpectationFailed, ModelRefused, WaitTimeout
from fakenet.harness import clock, faults
from fakenet.harness.latest import Versions
from fakenet.harness.waits import wait_for
from fakenet.kinds import CHAIN, CLUSTER, IDENTITY, STREAMS
from fakenet.scenario import schema as s


@dataclass(frozen=True)
class StepType:
    name: str
    kind: str  # "action" or "expect"
    parse: Callable[[Any, list[str]], dict]
    run: Callable[["Context", dict], None]
    help: str
    needs: frozenset[str] = frozenset()  # capabilities of the node kind (fakenet.kinds: chain, streams, …)


REGISTRY: dict[str, StepType] = {}


class Context:
    """What steps share while a scenario runs: the network and the named stream sets."""

    def __init__(self, net):
        self.net = net
        self.labels: dict[str, list[str]] = {}
        self.probes = 0  # sampled availability checks so far: each draws from its own seeded RNG
        self.versions = Versions()  # what each node holds of each stream (expect_latest)
        self._track_loads()

    def _track_loads(self) -> None:
        """Every load that succeeds, the availability probes' included, makes the node hold what it
        returned: a probe that fetched a newer state makes that node a newer holder."""
        fleet = getattr(self.net, "fleet", None)
        try_load = getattr(fleet, "try_load", None)
        if try_load is None:  # a network with no probes of its own (unit tests' fakes)
            return

        def tracked(name: str, stream: str) -> bool:
            if stream not in self.versions:
                return try_load(name, stream)
            graph, holders = self.net.oracle.expected_graph(), self.net.oracle.holders(stream)
            ok = try_load(name, stream)
            if ok:
                self.versions.loaded(graph, name, stream, holders)
            return ok

        fleet.try_load = tracked

    def streams(self, labels: list[str]) -> list[str]:
        if labels == ["all"]:
            return list(self.net.fleet.stream_ids)
        missing = [label for label in labels if label not in self.labels]
        if missing:
            raise ConfigError(f"no stream set named {', '.join(missing)} (known: {', '.join(self.labels) or 'none'}); "
                               f"name one with create_streams' `as:`")
        return [stream for label in labels for stream in self.labels[label]]


def step(name: str, kind: str, parse: Callable[[Any, list[str]], dict], needs: tuple[str, ...] = (),
         disturbs: bool = False):
    """Register a step; one that `disturbs` takes a node or link away, which may drop gossip of a
    recent write in flight (fakenet.harness.latest: Versions.disturbed)."""
    def register(run):
        def disturbing(ctx, a):
            ctx.versions.disturbed(clock.monotonic())
            return run(ctx, a)
        REGISTRY[name] = StepType(name, kind, parse, disturbing if disturbs else run, (run.__doc__ or "").strip(),
                                  frozenset(needs))
        return run
    return register


# -- parsers ---------------------------------------------------------------------------------------

def no_args(value, names):
    if value not in (None, {}):
        raise s.Invalid(f"expected no arguments, not {value!r}")
    return {}


def one_node(value, names):
    return {"node": s.node(names)(value)}


def mapping(required=None, optional=None):
    def parse(value, names):
        build = lambda spec: {k: (v(names) if getattr(v, "needs_names", False) else v) for k, v in (spec or {}).items()}
        return s.fields(value if value is not None else {}, build(required), build(optional))
    return parse


def _names(factory):
    factory.needs_names = True
    return factory


NODE, NODES, PAIR, GROUPS = _names(s.node), _names(s.nodes), _names(s.pair), _names(s.groups)
WITHIN = {"within": s.duration}


# -- actions ---------------------------------------------------------------------------------------

@step("crash", "action", one_node, disturbs=True)
def crash(ctx, a):
    """SIGKILL a node (no shutdown code runs); `start` brings it back."""
    ctx.net.crash(a["node"])


@step("stop", "action", one_node, disturbs=True)
def stop(ctx, a):
    """Stop a node cleanly; `start` brings it back."""
    ctx.net.stop(a["node"])


@step("start", "action", one_node)
def start(ctx, a):
    """Start a crashed or stopped node (undoes its crash/stop)."""
    ctx.net.undo_latest(a["node"], faults.Crash)  # Stop is a Crash subclass


@step("restart", "action", one_node, disturbs=True)
def restart(ctx, a):
    """Stop and start a node: pins and chain stay, its cache empties."""
    ctx.net.restart(a["node"])


@step("pause", "action", one_node, disturbs=True)
def pause(ctx, a):
    """Freeze a node's processes (peers notice by keepalive); `unpause` resumes it."""
    ctx.net.pause(a["node"])


@step("unpause", "action", one_node)
def unpause(ctx, a):
    """Resume a paused node."""
    ctx.net.undo_latest(a["node"], faults.Pause)


@step("lose_identity", "action", one_node, needs=(IDENTITY,), disturbs=True)
def lose_identity(ctx, a):
    """Delete a node's key and restart it: a new PeerID its peers refuse."""
    ctx.net.lose_identity(a["node"])


@step("restore_identity", "action", one_node, needs=(IDENTITY,))
def restore_identity(ctx, a):
    """Put a node's old key back and restart it."""
    ctx.net.restore_identity(a["node"])


@step("accept_identity", "action", one_node, needs=(IDENTITY,))
def accept_identity(ctx, a):
    """Every up peer's operator accepts the node's new identity (acceptpeeridentity): they connect again."""
    ctx.net.accept_identity(a["node"])


@step("partition", "action", lambda value, names: {"groups": s.groups(names)(value)}, disturbs=True)
def partition(ctx, a):
    """Only nodes in the same group talk; unlisted nodes form one more group."""
    ctx.net.partition(a["groups"])


@step("cut_link", "action", lambda value, names: {"pair": s.pair(names)(value)}, disturbs=True)
def cut_link(ctx, a):
    """Cut one link u–v (both directions); other paths stay."""
    graph = nx.complete_graph(ctx.net.names, create_using=nx.DiGraph)
    graph.remove_edges_from([a["pair"], a["pair"][::-1]])
    ctx.net.cut_links(graph)


def _one_way(value, names):
    args = mapping({"from": NODE, "to": NODE})(value, names)
    if args["from"] == args["to"]:
        raise s.Invalid(f"from and to are the same node ({args['from']})")
    return args


@step("cut_one_way", "action", _one_way, disturbs=True)
def cut_one_way(ctx, a):
    """Drop traffic from one node to another only (the connection needs both ways, so it fails)."""
    graph = nx.complete_graph(ctx.net.names, create_using=nx.DiGraph)
    graph.remove_edge(a["from"], a["to"])
    ctx.net.cut_links(graph)


@step("isolate", "action", one_node, disturbs=True)
def isolate(ctx, a):
    """Cut every link of one node."""
    ctx.net.isolate(a["node"])


@step("degrade", "action", mapping({"between": PAIR}, {"loss": s.probability, "delay": s.duration}), disturbs=True)
def degrade(ctx, a):
    """A lossy and/or slow link: loss by packet filter or transport, delay in the transport."""
    ctx.net.degrade(*a["between"], loss=a.get("loss", 0.0), delay_ms=a.get("delay", 0.0) * 1000)


@step("heal", "action", no_args)
def heal(ctx, a):
    """Undo every active fault: links back, crashed nodes started, identities restored."""
    ctx.net.heal()


# Blocks mined back to back share a timestamp until the median of the last 11 forces it up, about a second
# of block time per six blocks: past ~43,000 the tip is two hours ahead and every node refuses it
# (time-too-new), which would read as the system's failure though the step asked the impossible.
MAX_BLOCKS_A_STEP = 10_000
# Creates are ~1-2 ms each on a quiet node: a million would run for half an hour while the step looked hung.
MAX_STREAMS_A_STEP = 100_000


@step("create_streams", "action", mapping({"on": NODE}, {"count": s.count_at_most(
    MAX_STREAMS_A_STEP, "a step that large runs for many minutes; split it"), "pin": s.flag, "as": s.text}),
      needs=(STREAMS,))
def create_streams(ctx, a):
    """Create `count` streams of faker content on a node (pinned with pin: true), named `as`."""
    created = [ctx.net.streams.create(a["on"], pin=a.get("pin", False)) for _ in range(a.get("count", 1))]
    ctx.labels.setdefault(a.get("as", "unnamed"), []).extend(created)
    for stream in created:
        ctx.versions.created(a["on"], stream, None)


@step("load_streams", "action", mapping({"on": NODES, "streams": s.labels}), needs=(STREAMS,))
def load_streams(ctx, a):
    """Load stream sets on nodes (each becomes a holder, in its cache)."""
    for name in a["on"]:
        for stream in ctx.streams(a["streams"]):
            ctx.versions.loaded(ctx.net.oracle.expected_graph(), name, stream, ctx.net.oracle.holders(stream))
            ctx.net.streams.load(name, stream)


@step("pin_streams", "action", mapping({"on": NODES, "streams": s.labels}), needs=(STREAMS,))
def pin_streams(ctx, a):
    """Pin stream sets on nodes (loading them first if needed)."""
    for name in a["on"]:
        for stream in ctx.streams(a["streams"]):
            ctx.versions.loaded(ctx.net.oracle.expected_graph(), name, stream, ctx.net.oracle.holders(stream))
            ctx.net.streams.pin(name, stream)


@step("unpin_streams", "action", mapping({"on": NODES, "streams": s.labels}), needs=(STREAMS,))
def unpin_streams(ctx, a):
    """Unpin stream sets on nodes (they stay in the cache until evicted)."""
    for name in a["on"]:
        for stream in ctx.streams(a["streams"]):
            ctx.net.streams.unpin(name, stream)


@step("update_streams", "action", mapping({"on": NODE, "streams": s.labels}), needs=(STREAMS,))
def update_streams(ctx, a):
    """Write new faker content to each stream of the sets through a node (it loads them first)."""
    for stream in ctx.streams(a["streams"]):
        content = {"title": ctx.net.fleet.faker.sentence()}
        ctx.versions.wrote(ctx.net.oracle.expected_graph(), a["on"], stream, ctx.net.oracle.holders(stream), content,
                           clock.monotonic())
        ctx.net.streams.update(a["on"], stream, content)
        if any(loss > 0 for loss, _delay in ctx.net.oracle.model.shaped.values()):
            # A lossy link may drop the write's gossip on a connection that stays up: nothing makes
            # the holders behind it stale (README, streams), so the write is only possibly there.
            ctx.versions.disturbed(clock.monotonic())


@step("cache_pressure", "action", mapping({"on": NODE, "count": s.count}), needs=(STREAMS,))
def cache_pressure(ctx, a):
    """Create `count` unpinned streams on a node, pushing its least recently used out of the cache."""
    ctx.net.cache_pressure(a["on"], a["count"])


@step("evict_cache", "action", mapping({"on": NODE}, {"count": s.count, "streams": s.labels}), needs=(STREAMS,))
def evict_cache(ctx, a):
    """Evict the `count` least recently used streams, or the named sets, from a node's cache."""
    ids = ctx.streams(a["streams"]) if "streams" in a else None
    ctx.net.evict_cache(a["on"], count=a.get("count"), ids=ids)


@step("mine", "action", mapping({"on": NODE}, {"blocks": s.count_at_most(
    MAX_BLOCKS_A_STEP, "more blocks in one go outrun the chain's two-hour limit on block times")}), needs=(CHAIN,))
def mine(ctx, a):
    """Mine blocks on a node (generatetoaddress)."""
    ctx.net.chain.mine(a["on"], a.get("blocks", 1))


# -- expectations ----------------------------------------------------------------------------------

@step("expect_graph", "expect", mapping(optional=WITHIN))
def expect_graph(ctx, a):
    """Observed peer graph equals the oracle's expected graph (within a deadline)."""
    ctx.net.oracle.expect_graph(timeout=a.get("within", 20))


@step("expect_available", "expect", mapping({"streams": s.labels}, {"on": NODES}), needs=(STREAMS,))
def expect_available(ctx, a):
    """The streams load on these nodes, and the oracle predicts so."""
    ctx.net.oracle.expect_available(ctx.streams(a["streams"]), a.get("on"))


@step("expect_latest", "expect", mapping({"streams": s.labels}, {"on": NODES, **WITHIN}), needs=(STREAMS,))
def expect_latest(ctx, a):
    """A load on each node returns the newest state any holder reachable from it has (by the
    number of signed writes in its log), as the harness's own writes and loads predict, within a
    deadline (default 20 s, what the soak uses): a holder learns that its component changed from
    news flooded over the links (fakenet.node.component_news), some link delays after the heal, so
    until then a load there may answer from its old copy. Loads are polled until one returns a
    predicted state or the deadline passes."""
    graph, wrong = ctx.net.oracle.expected_graph(), []
    deadline = clock.monotonic() + a.get("within", 20)
    for stream in ctx.streams(a["streams"]):
        for name in a.get("on") or ctx.net.up():
            predicted = ctx.versions.predict(graph, name, stream, ctx.net.oracle.holders(stream))
            if not predicted:
                continue  # no holder reachable: expect_unavailable's question, not this one's
            newest = {version.writes for version in predicted}

            def writes(name=name, stream=stream) -> int:
                log = ctx.net.streams.load(name, stream)["state"]["log"]
                return sum(1 for entry in log if entry["type"] == 1)
            try:
                observed, _took = wait_for(writes, lambda observed: observed in newest, timeout=max(0.0, deadline - clock.monotonic()),
                         expected=f"a load of {stream} on {name} with {sorted(newest)} write(s)", gone=getattr(getattr(ctx.net, "fleet", None), "gone", None))
            except WaitTimeout:
                wrong.append((name, stream, sorted(newest), writes()))
                continue
            ctx.versions.loaded(graph, name, stream, ctx.net.oracle.holders(stream), observed)
    if wrong:
        name, stream, expected, observed = wrong[0]
        raise ExpectationFailed(f"{len(wrong)} load(s) did not return the newest reachable state within "
                                f"{a.get('within', 20):g}s; first: {name} loaded {stream} with {observed} write(s), "
                                f"the newest reachable holder has {expected}",
                                expected={w[:2]: w[2] for w in wrong}, observed={w[:2]: w[3] for w in wrong})


@step("expect_unavailable", "expect", mapping({"streams": s.labels}, {"on": NODES}), needs=(STREAMS,))
def expect_unavailable(ctx, a):
    """The streams fail to load on these nodes (unavailable error), and the oracle predicts so."""
    ctx.net.oracle.expect_unavailable(ctx.streams(a["streams"]), a.get("on"))


@step("expect_availability", "expect", mapping({"streams": s.labels}, {"on": NODES, "sample": s.count}),
      needs=(STREAMS,))
def expect_availability(ctx, a):
    """Every (stream, node) pair loads or fails exactly as the oracle predicts; with `sample: N`, every
    pair predicted unavailable and N predicted available elsewhere than at a holder (the seed picks)."""
    streams, nodes = ctx.streams(a["streams"]), a.get("on") or ctx.net.up()
    if "sample" not in a:
        ctx.net.oracle.expect_availability(streams, nodes)
        return
    ctx.probes += 1
    rng = random.Random(f"{ctx.net.seed}/probe/{ctx.probes}")
    by_node: dict[str, list[str]] = {}
    for stream, node in ctx.net.oracle.model.probe_plan(streams, nodes, a["sample"], rng):
        by_node.setdefault(node, []).append(stream)
    for node, probed in sorted(by_node.items()):
        ctx.net.oracle.expect_availability(probed, [node])


@step("expect_holders", "expect", mapping(optional={"streams": s.labels}), needs=(STREAMS,))
def expect_holders(ctx, a):
    """Who pins or caches each stream is what the model says."""
    ctx.net.oracle.expect_holders(ctx.streams(a.get("streams", ["all"])))


@step("expect_converged", "expect", mapping(optional=WITHIN), needs=(CHAIN,))
def expect_converged(ctx, a):
    """Every component of the expected graph is on one most-work chain tip."""
    ctx.net.oracle.expect_converged(timeout=a.get("within", 20))


@step("expect_tip", "expect", mapping(optional=WITHIN), needs=(CHAIN,))
def expect_tip(ctx, a):
    """Every up node on the tip the model predicts from the blocks mined so far."""
    ctx.net.oracle.expect_tip(within=a.get("within", 20))


@step("expect_reorg", "expect", mapping(optional={"on": NODES, **WITHIN}), needs=(CHAIN,))
def expect_reorg(ctx, a):
    """Nodes that switched branches (all the model predicts, or `on`) list the abandoned branch in
    getchaintips with the predicted reorg depth."""
    ctx.net.oracle.expect_reorg(a.get("on"), within=a.get("within", 20))


@step("expect_recovered", "expect", mapping(optional=WITHIN))
def expect_recovered(ctx, a):
    """Graph and chains back as predicted within the deadline (the time is recorded)."""
    ctx.net.oracle.expect_recovered(within=a.get("within", 20))


@step("expect_cache", "expect", mapping({"on": NODE}, {"size": s.count, "lru": s.labels}), needs=(STREAMS,))
def expect_cache(ctx, a):
    """A node's cache: its size, and (lru) exactly these streams from least to most recently used."""
    order = ctx.net.streams.client(a["on"]).cache_order()
    info = {"lru": order, "size": len(order)}
    model = list(ctx.net.oracle.model.caches[a["on"]].order)
    if info["lru"] != model:
        raise ExpectationFailed(f"{a['on']}'s cache order differs from the model: model has {len(model)} streams, "
                             f"node reports {len(info['lru'])}; first difference at position "
                             f"{next((i for i, (x, y) in enumerate(zip(model, info['lru'])) if x != y), min(len(model), len(info['lru'])))}")
    # The node agrees with the model from here on: a size or order the scenario asks for that the
    # model does not predict is the scenario's mistake, not the node's.
    if "size" in a and info["size"] != a["size"]:
        raise ModelRefused(f"{a['on']}'s cache holds {info['size']} streams, as the model predicts; the scenario "
                           f"expects {a['size']}", asked=a["size"], predicted=len(model), observed=info["size"],
                           node=a["on"])
    if "lru" in a and info["lru"] != ctx.streams(a["lru"]):
        raise ModelRefused(f"{a['on']}'s cache is what the model predicts, not exactly {a['lru']} in creation order",
                           asked=ctx.streams(a["lru"]), predicted=model, observed=info["lru"], node=a["on"])


@step("expect_pins", "expect", mapping({"on": NODE, "streams": s.labels}), needs=(STREAMS,))
def expect_pins(ctx, a):
    """A node pins exactly these stream sets."""
    pinned = ctx.net.streams.client(a["on"]).pins()
    wanted = set(ctx.streams(a["streams"]))
    if pinned != wanted:
        raise ExpectationFailed(f"{a['on']} pins {len(pinned)} streams; expected {len(wanted)}: "
                             f"missing {len(wanted - pinned)}, unexpected {len(pinned - wanted)}")


@step("expect_log", "expect", mapping({"on": NODE, "contains": s.text}, WITHIN))
def expect_log(ctx, a):
    """A node's log shows a line containing the text (within a deadline)."""
    node = ctx.net.node(a["on"])
    wait_for(lambda: "\n".join(node.logs(300)), lambda text: a["contains"] in text, timeout=a.get("within", 10),
             expected=f"{a['on']} logs {a['contains']!r}", logs=lambda: node.logs(8))


# -- replicated pinning ------------------------------------------------------------------------------

@step("cluster_pin", "action", mapping({"on": NODE, "streams": s.labels}, {"rmin": s.count, "rmax": s.count}),
      needs=(CLUSTER, STREAMS))
def cluster_pin(ctx, a):
    """Add stream sets to the cluster pinset through a node, with replication factors."""
    for stream in ctx.streams(a["streams"]):
        ctx.net.cluster.pin(a["on"], stream, a.get("rmin", 2), a.get("rmax", a.get("rmin", 2)))


@step("crash_holder", "action", mapping({"of": s.labels}), needs=(CLUSTER, STREAMS))
def crash_holder(ctx, a):
    """Crash the node the allocation ranks first for the first stream of a set."""
    stream = ctx.streams(a["of"])[0]
    holder = next(name for name, streams in sorted(ctx.net.cluster.expected_pins().items()) if stream in streams)
    ctx.net.crash(holder)


@step("expect_allocations", "expect", mapping(optional=WITHIN), needs=(CLUSTER, STREAMS))
def expect_allocations(ctx, a):
    """Every up node pins exactly the cluster streams the allocation gives it (time recorded)."""
    ctx.net.oracle.expect_allocations(within=a.get("within", 20))


@step("expect_replicated", "expect", mapping({"streams": s.labels, "min": s.count}), needs=(CLUSTER, STREAMS))
def expect_replicated(ctx, a):
    """Now: each stream pinned on at least `min` live nodes (or every node of a smaller component)."""
    ctx.net.oracle.expect_replicated(ctx.streams(a["streams"]), a["min"])
