"""One soak run: a random topology, then random steps; after each, the model against the network.

After every step: the observed peer graph equals the expected one, who pins and caches each stream
is what the model says (read without a use), the pairs the model predicts unavailable fail to load
and a few it predicts available elsewhere load (a load caches the stream: loading every pair would
put every stream everywhere, so evictions, pins and cuts would stop mattering), and every node is on
its predicted chain tip, with the reorgs the model predicts listed in getchaintips; once a Model
exists, every event is in the feed of every node the interest rule expects it on (`expect_synced`).
Seeds vary the cache limit (small ones overflow) and the timing bounds. ceramic-one's steps (Models,
interests, documents as events, refused writes: event_actions.py) are drawn where nodes serve HTTP
and the cache never overflows (EVENTS_CACHE): Recon caches the documents it syncs, unprompted.
The first disagreement ends the run and is written as a scenario file (the steps so far, each
followed by the checks), which `./fake scenario run FILE` replays.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import yaml

from fakenet import invocation
from fakenet.harness.fleet import Fleet
from fakenet.harness.network import Network
from fakenet.harness.topology import node_names
from fakenet.scenario import loader
from fakenet.scenario.steps import Context
from fakenet.soak.actions import Chooser, Step

TOPOLOGIES = ("line", "ring-chords", "tree", "random-regular")
CHECK_WITHIN = "20s"
CACHE_LIMITS = (2, 3, 5, 500)
# (sync timeout, peer timeout): the kind's test defaults; a sync timeout so long that the peer
# timeout alone decides whether a slow link carries loads; and one so short that a steady link can
# be too slow for loads (2d >= T while d + keepalive < P).
TIMINGS = (("4s", "3s"), ("20s", "3s"), ("2s", "4s"))
PROBED = 3  # pairs predicted available (elsewhere than at a holder) loaded per check
EVENTS_CACHE = 500  # the cache limit at which a run also draws ceramic-one's steps
SYNC_WITHIN = "30s"  # the interest rule's bound (harness/interests.py SYNC_BOUND)


@dataclass
class SoakResult:
    seed: int
    nodes: int
    topology: str
    backend: str
    settings: dict = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)  # actions run, in order
    pairs: int = 0  # (stream, node) predictions compared with a real load (only those loaded)
    events: int = 0  # (node, event) predictions of the interest rule compared with a node's feed
    checks: int = 0
    failure: str = ""
    counterexample: Path | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failure


def shape(seed: int, min_nodes: int, max_nodes: int) -> tuple[int, str]:
    """Node count and topology kind for a seed (random-regular needs an even degree sum)."""
    rng = random.Random(f"shape-{seed}")
    topology = rng.choice(TOPOLOGIES)
    nodes = rng.randint(min_nodes, max_nodes)
    if topology == "random-regular" and nodes * 3 % 2:
        nodes += 1 if nodes < max_nodes else -1
    return nodes, topology


def settings_for(seed: int) -> dict:
    rng = random.Random(f"settings-{seed}")
    sync, peer = rng.choice(TIMINGS)
    return {"cache_limit": rng.choice(CACHE_LIMITS), "sync_timeout": sync, "peer_timeout": peer}


def checks(with_streams: bool, with_events: bool = False) -> list[Step]:
    found: list[Step] = [{"expect_graph": {"within": CHECK_WITHIN}}]
    if with_streams:
        found.append({"expect_holders": {"streams": ["all"]}})
        found.append({"expect_availability": {"streams": ["all"], "sample": PROBED}})
    if with_events:
        found.append({"expect_synced": {"within": SYNC_WITHIN}})
    found.append({"expect_tip": {"within": CHECK_WITHIN}})
    found.append({"expect_reorg": {"within": CHECK_WITHIN}})
    return found


def scenario_document(result: SoakResult, note: str = "") -> dict:
    steps: list[Step] = []
    created = modelled = False
    for action in result.steps:
        created = created or "create_streams" in action
        modelled = modelled or "create_model" in action
        steps.extend([action, *checks(created, modelled)])
    return {"name": f"soak-{result.seed}", "description": note or f"{invocation.command()} soak --seed {result.seed}",
            "nodes": result.nodes, "topology": result.topology, "seed": result.seed, "backends": [result.backend],
            "settings": result.settings, "steps": steps}


def soak(seed: int, steps: int, backend: str = "local", *, min_nodes: int = 4, max_nodes: int = 12,
         out_dir: Path | None = None, seconds: float | None = None,
         progress: Callable[[str], None] = lambda _: None, **options) -> SoakResult:
    nodes, topology = shape(seed, min_nodes, max_nodes)
    result, started = SoakResult(seed, nodes, topology, backend, settings_for(seed)), time.monotonic()
    names = node_names(nodes)
    settings = loader.checked_settings(result.settings, [options.get("kind")])
    with Network(nodes, backend=backend, topology=topology, seed=seed, settings=settings, **options) as net:
        chooser = Chooser(seed, events=net.backend.serves_http and result.settings["cache_limit"] >= EVENTS_CACHE)
        ctx = Context(net)
        loads = _count_loads(net.fleet)
        progress(f"seed {seed}: {nodes} nodes, {topology}, {net.topology.number_of_edges()} links on {backend}")
        for index in range(steps):
            if seconds is not None and time.monotonic() - started > seconds:
                break
            action = chooser.next(net)
            result.steps.append(action)
            try:
                _run(ctx, action, names)
                chooser.labels.update({label: ids[0] for label, ids in ctx.labels.items()})
                if chooser.events is not None and hasattr(ctx, "ceramic"):
                    chooser.events.models.update(ctx.ceramic.models)
                before = loads[0]
                for check in checks(bool(ctx.labels), bool(getattr(ctx, "ceramic", None) and ctx.ceramic.models)):
                    _run(ctx, check, names)
                    result.checks += 1
                result.pairs += loads[0] - before
                result.events = getattr(getattr(ctx, "ceramic", None), "compared", 0)
            except Exception as exc:  # any disagreement (or step the model thought possible) is a finding
                result.failure = f"step {index + 1} `{_text(action)}`: {type(exc).__name__}: {exc}"
                break
            progress(f"  {index + 1:3d}. {_text(action)}  ({len(net.up())} up, {len(net.fleet.stream_ids)} streams)")
    result.seconds = time.monotonic() - started
    if result.failure and out_dir is not None:
        result.counterexample = write(result, out_dir)
    return result


def _count_loads(fleet: Fleet) -> list[int]:
    """Count every load the checks make (the pairs really compared), in a cell the caller reads."""
    count, try_load = [0], fleet.try_load

    def counted(name: str, stream: str) -> bool:
        count[0] += 1
        return try_load(name, stream)

    fleet.try_load = counted
    return count


def write(result: SoakResult, out_dir: Path, note: str = "") -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"soak-{result.seed}.yaml"
    fake = invocation.command()
    header = f"# A disagreement between the model and the network found by {fake} soak --seed {result.seed}\n" \
             f"# {result.failure.splitlines()[0] if result.failure else ''}\n# replay: {fake} scenario run {path}\n"
    path.write_text(header + yaml.safe_dump(scenario_document(result, note), sort_keys=False, width=120))
    return path


def _run(ctx: Context, step: Step, names: list[str]) -> None:
    name, value = (step, None) if isinstance(step, str) else next(iter(step.items()))
    parsed = loader._step(name, value, names, "<soak>", 0)
    parsed.type.run(ctx, parsed.args)


def _text(step: Step) -> str:
    if isinstance(step, str):
        return step
    name, value = next(iter(step.items()))
    return f"{name}: {loader._inline(value)}"
