"""What a network shows about itself, gathered while it still runs: a snapshot after each step
(predicted and observed graph, down nodes, cut links, holders) and, when something fails, the
evidence (full logs, configs without secrets, tips, holdings, availability of the failing streams).

Gathering never raises: a half-dead network is the usual case here, so what cannot be read is
noted in `problems` and the rest is still kept.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from fakenet.bundle.redact import Redactor
from fakenet.errors import EngineSilent, FakenetError
from fakenet.harness import observe
from fakenet.harness.short_ids import mentions
from fakenet.kinds import CHAIN, STREAMS

MAX_STREAMS = 12  # of the availability matrix: each unavailable pair costs a sync timeout to observe
# Seconds a bundle gives the engine to say whether the run's network stands (cut_off): its only bound was
# the SDK's 60 s, and a hung engine held the bundle that long. Past them the nodes are asked anyway; one
# silent look is shared (shared_look.py), so the snapshot's ask and the evidence's wait once, not twice.
ENGINE_PATIENCE = 5.0
Edge = tuple[str, str]


@dataclass
class Snapshot:
    at: float  # seconds on the network's timeline
    expected: list[Edge]
    observed: list[Edge]
    down: list[str]
    cut: list[Edge]  # topology links the active faults cut
    holders: dict[str, list[str]]  # stream -> nodes the model says pin or cache it
    problem: str = ""


@dataclass
class Availability:
    streams: list[str]
    nodes: list[str]
    predicted: dict[tuple[str, str], bool | None]  # None: a slow or lossy link leaves it open
    observed: dict[tuple[str, str], bool | None]  # None: not observed (the node is down)


@dataclass
class Evidence:
    logs: dict[str, str] = field(default_factory=dict)
    configs: dict[str, dict] = field(default_factory=dict)
    final: Snapshot | None = None
    tips: dict[str, dict] = field(default_factory=dict)
    holdings: dict[str, dict] = field(default_factory=dict)  # stream -> predicted and observed holders
    availability: Availability | None = None
    focus: list[str] = field(default_factory=list)  # the failing streams
    problems: list[str] = field(default_factory=list)
    redactor: Redactor = field(default_factory=Redactor)


def _edges(graph: nx.Graph) -> list[Edge]:
    return sorted(tuple(sorted(edge)) for edge in graph.edges)


def snapshot(net) -> Snapshot:
    model = net.oracle.model
    if model is None:  # the network never came up far enough to have a model
        return Snapshot(net.oracle.timeline.now(), [], [], [], [], {}, "no model: the network did not start")
    problem, observed = "", []
    cut, unreachable, silent = cut_off(net)
    reachable = [name for name in net.up() if name not in unreachable]
    if cut and not reachable:
        problem = f"observed graph: not asked: {cut}"
    else:
        try:  # a node out of reach is as one that cannot answer: its peers' lists still say their links
            observed = _edges(observe.observed_graph(net.fleet.runtimes, reachable, model.identity) if cut
                              else net.oracle.observed_graph())
            problem = f"observed graph: not asked of {', '.join(unreachable)}: {cut}" if cut else ""
        except FakenetError as exc:
            problem = f"observed graph: {exc}"
    problem = "; ".join(filter(None, [problem, silent]))
    cut = [e for e in _edges(net.topology) if not (model.link_allowed(*e) and model.link_allowed(e[1], e[0]))]
    holders = {stream: sorted(model.holders(stream)) for stream in net.fleet.stream_ids}
    return Snapshot(round(net.oracle.timeline.now(), 3), _edges(net.oracle.expected_graph()), observed, sorted(model.down), cut,
                    holders, problem)


def cut_off(net) -> tuple[str, list[str], str]:
    """What took nodes' network away under the run (the backend's lost(), asked afresh), or "", and
    which nodes it took: nothing at their old addresses answers, and each question waited for its
    timeout (30 s). Only those are left unasked: one node cut off is no reason to skip the others.
    An ending that names no nodes of its own took them all. Third: "engine: …" where the engine did not
    answer within ENGINE_PATIENCE (every node is then asked), else ""."""
    watch = getattr(getattr(net, "fleet", None), "watch", None)
    try:
        endings = watch(fresh=True, within=ENGINE_PATIENCE) if watch is not None else []
    except EngineSilent as exc:
        return "", [], f"engine: {exc}; every node was asked"
    except Exception:  # evidence is best effort: a look that fails is no reason to skip the nodes
        return "", [], ""
    taken = {node for ending in endings for node in (ending.nodes or net.names)}
    return "; ".join(ending.sentence() for ending in endings), [name for name in net.names if name in taken], ""


def weak_note(count: int) -> str:
    """What a bundle of the compose network's defaults says about them: "secret(s) are words this bundle
    needs … set your own" left a first-time user asking which secret, and how."""
    which = "a secret is" if count == 1 else f"{count} secrets are"
    return (f"{which} also an ordinary word of this bundle (such as the development password \"fakenet\", "
            "also the kind's name): removed from the configs, not from the logs; set FAKENET_RPCPASSWORD to "
            "your own to have it removed everywhere")


def gather(net, failure: BaseException | None = None) -> Evidence:
    evidence = Evidence()
    made = [name for name in net.names if name in net.fleet.runtimes]  # a backend that failed early made fewer
    for name in made:  # configs first: they teach the redactor the secrets to scrub from logs
        evidence.configs[name] = _attempt(evidence, f"{name} config", lambda name=name: _config(net, name, evidence))
    for name in made:
        text = _attempt(evidence, f"{name} log", lambda name=name: _full_log(net.fleet.runtimes[name])) or ""
        evidence.logs[name] = evidence.redactor.text(text)
    if evidence.redactor.weak:
        evidence.problems.append(weak_note(len(evidence.redactor.weak)))
    if net.oracle.model is None:
        return evidence
    evidence.final = snapshot(net)
    cut, unreachable, silent = cut_off(net)  # logs and configs come from the engine; the nodes it took cannot be asked
    if silent:
        evidence.problems.append(f"network: not known whether it still stands: {silent}")
    up = [name for name in net.up() if name in net.fleet.runtimes and name not in unreachable]
    if cut:
        whom = f" of {', '.join(unreachable)}" if up else ""
        evidence.problems.append(f"tips, holdings and availability: not asked{whom}: {cut}")
        if not up:
            return evidence
    if CHAIN in net.kind.capabilities:
        evidence.tips = _attempt(evidence, "tips", lambda: _tips(net, up)) or {}
    if STREAMS in net.kind.capabilities:
        evidence.holdings = _attempt(evidence, "holdings", lambda: _holdings(net, up)) or {}
        evidence.focus = failing_streams(net.fleet.stream_ids, failure)
        if evidence.focus:
            evidence.availability = _attempt(evidence, "availability",
                                             lambda: _availability(net, evidence.focus, unreachable))
    return evidence


def _attempt(evidence: Evidence, what: str, function):
    try:
        return function()
    except Exception as exc:  # evidence is best effort: one unreadable part must not lose the rest
        evidence.problems.append(f"{what}: {type(exc).__name__}: {exc}")
        return None


def _full_log(runtime) -> str:
    """The whole log, not the tail the runtime interface offers: local processes write a file,
    containers keep theirs in the engine."""
    path = getattr(getattr(runtime, "process", None), "log_path", None)
    if path is not None:
        return Path(path).read_text(errors="replace")
    container = getattr(runtime, "container", None)
    if container is not None:
        return container.logs().decode(errors="replace")
    return "\n".join(runtime.logs(10**7))


def _config(net, name: str, evidence: Evidence) -> dict:
    runtime = net.fleet.runtimes[name]
    config: dict = {"kind": net.kind.name, "backend": net.backend.name}
    process = getattr(runtime, "process", None)
    if process is not None:
        config.update(command=list(process.argv), environment=dict(process.env))
    container = getattr(runtime, "container", None)
    if container is not None:
        attrs = container.attrs.get("Config", {})
        config.update(image=attrs.get("Image"), command=attrs.get("Cmd"), environment=attrs.get("Env"))
    spec = getattr(runtime, "spec", None)
    if spec is not None:
        config["settings"] = {key: str(value) for key, value in spec.settings.items()}
    if net.kind.identity_file:
        config["identity_file"] = _identity(runtime)
    return evidence.redactor.mapping(config)


def _identity(runtime):
    data = runtime.read_identity()
    if data is None:
        return None
    try:
        return json.loads(data)
    except ValueError:  # not JSON: a key file as bytes; nothing in it is safe to show
        return {"private_key": data.hex()}


def _tips(net, up: list[str]) -> dict[str, dict]:
    observed = observe.tips(net.fleet.runtimes, up)
    return {name: {"observed": {"hash": observed[name][0], "height": observed[name][1], "work": observed[name][2]}
                   if name in observed else None,
                   "predicted": sorted([{"height": h, "hash": t} for h, t in net.oracle.model.chain.tips(name)],
                                       key=lambda tip: (tip["height"], tip["hash"] or ""))}
            for name in net.names}


def _holdings(net, up: list[str]) -> dict[str, dict]:
    held = observe.holdings(net.fleet.runtimes, up)
    streams = list(dict.fromkeys([*net.fleet.stream_ids, *sorted({s for pins, cache in held.values() for s in pins | cache})]))
    return {stream: {"predicted": sorted(net.oracle.model.holders(stream)),
                     "observed_pinned": sorted(n for n, (pins, _) in held.items() if stream in pins),
                     "observed_cached": sorted(n for n, (_, cache) in held.items() if stream in cache)}
            for stream in streams}


def failing_streams(streams: list[str], failure: BaseException | None) -> list[str]:
    """The streams a failure is about: named in its data as (stream, node) pairs, or in its words
    (messages shorten ids, so a prefix counts)."""
    if failure is None:
        return []
    named: set[str] = set()
    for data in (getattr(failure, "expected", None), getattr(failure, "observed", None),
                 getattr(failure, "difference", None)):
        for item in data if isinstance(data, (dict, list, set, tuple)) else ():
            if isinstance(item, tuple) and len(item) == 2:
                named.add(item[0])
    text = str(failure)
    return [s for s in streams if s in named or mentions(text, s)][:MAX_STREAMS]


def _availability(net, streams: list[str], unreachable: list[str]) -> Availability:
    nodes = list(net.names)
    predicted = net.oracle.model.availability_map(streams, [n for n in nodes if n not in net.oracle.model.down])
    pairs = [(s, n) for s in streams for n in nodes if n not in net.oracle.model.down and n not in unreachable]

    def load(pair):
        try:
            return net.fleet.runtimes[pair[1]].client.try_load(pair[0])
        except FakenetError:
            return None
    with ThreadPoolExecutor(max_workers=max(1, min(32, len(pairs)))) as pool:
        observed = dict(zip(pairs, pool.map(load, pairs)))
    observed.update({(s, n): None for s in streams for n in unreachable if n not in net.oracle.model.down})
    return Availability(streams, nodes, predicted, observed)
