"""Assertions of the oracle: wait (tenacity, to a deadline) until what the nodes report matches
what the model predicts; on timeout say what differs, each node's height and recent logs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx

from fakenet.errors import ExpectationFailed, FakenetError, ModelRefused, WaitTimeout
from fakenet.harness import observe
from fakenet.harness.chain_model import AmbiguousChain
from fakenet.harness.fanout import fan_out
from fakenet.harness.short_ids import cut
from fakenet.harness.waits import wait_for

if TYPE_CHECKING:
    from fakenet.harness.fleet import Fleet


def _heights(net: Fleet) -> str:
    if "chain" not in net.kind.capabilities:
        return "no chain"
    try:
        tips = observe.tips(net.runtimes, net.up())
    except FakenetError as exc:
        return f"heights unavailable ({exc})"
    return ", ".join(f"{name}@{height}:{best[:8]}" for name, (best, height, _) in sorted(tips.items()))


def _gone(net: Fleet):
    """The fleet's check for a network taken away under the run (Fleet.gone); stand-ins have none."""
    return getattr(net, "gone", None)


def _context(net: Fleet):
    return lambda: [f"heights: {_heights(net)}", f"down: {sorted(net.model.down) or 'none'}"] + net.logs(6)


def graph(net: Fleet, timeout: float) -> float:
    """Observed == expected, but for links slow enough to time out: they flap, so either is right."""
    expected, unsteady = net.model.expected_graph(), net.model.unsteady_links()

    def steady(graph: nx.Graph) -> nx.Graph:
        kept = graph.copy()
        kept.remove_edges_from([e for e in graph.edges if frozenset(e) in unsteady])
        return kept

    def same(observed: nx.Graph) -> bool:
        return observe.graph_diff(steady(expected), steady(observed)) == "none"

    try:
        _, took = wait_for(lambda: _Edges(net.observed_graph()), lambda g: same(g.graph), timeout=timeout,
                           expected=f"edges {_Edges(expected)!r}",
                           logs=_context(net), hint="a refused identity or a filter rule left behind shows in the logs",
                           gone=_gone(net))
    except WaitTimeout as exc:  # the graph the wait judged last: a new look may find a network healed since
        observed = exc.observed.graph if isinstance(exc.observed, _Edges) else net.observed_graph()
        difference = observe.graph_diff(expected, observed)
        raise ExpectationFailed(f"observed graph != expected graph: {difference}\n{exc}", expected=expected,
                                observed=observed, difference=difference) from exc
    net.timeline.record("expect", f"graph ({expected.number_of_edges()} edges)", took)
    return took


class _Edges:
    """A graph that prints as its sorted edge list, for timeout messages."""

    def __init__(self, graph: nx.Graph):
        self.graph = graph

    def __repr__(self) -> str:
        return " ".join(f"{u}–{v}" for u, v in sorted(tuple(sorted(e)) for e in self.graph.edges)) or "(no edges)"


def converged(net: Fleet, timeout: float) -> float:
    """Every node of each component of the expected graph on a most-work tip of that component:
    one tip, or several of equal work (a node keeps the branch it saw first on a tie)."""
    components = [sorted(c) for c in nx.connected_components(net.model.expected_graph())]

    def problems(tips) -> list[str]:
        found = []
        for component in components:
            best = max(tips[n][2] for n in component)
            behind = [n for n in component if tips[n][2] != best]
            if behind:
                found.append(f"{component}: " + ", ".join(f"{n}@{tips[n][1]}:{tips[n][0][:8]}" for n in component))
        return found

    net.requires("chain")
    last: list = [{}]

    def observe_tips():
        last[0] = observe.tips(net.runtimes, net.up())
        return last[0]

    try:
        observed, took = wait_for(observe_tips, lambda tips: not problems(tips), timeout=timeout,
                                  expected="one most-work tip per component", logs=_context(net), gone=_gone(net))
    except WaitTimeout as exc:
        found = problems(last[0]) if last[0] else ["no node answered"]
        raise ExpectationFailed(f"chains did not converge: {'; '.join(found)}\n{exc}",
                                expected="one most-work tip per component", observed=last[0],
                                difference=found) from exc
    net.timeline.record("expect", f"chain converged in {len(components)} component(s)", took)
    return took


def _pairs(net: Fleet, streams, nodes) -> list[tuple[str, str]]:
    streams = [streams] if isinstance(streams, str) else list(streams or net.stream_ids)
    nodes = [nodes] if isinstance(nodes, str) else list(nodes or net.up())
    return [(s, n) for s in streams for n in nodes]


def availability(net: Fleet, streams, nodes, want: bool | None) -> dict:
    """Load every pair; compare with the model (and with `want`, when given). Loads run per node in
    parallel. Pairs a slow or lossy link leaves open (predicted None) are neither loaded nor asserted."""
    every = _pairs(net, streams, nodes)
    predicted = net.model.availability_map(sorted({s for s, _ in every}), sorted({n for _, n in every}))
    predicted = {pair: predicted[pair] for pair in every}
    pairs = [pair for pair in every if predicted[pair] is not None]
    if want is not None:
        wrong = [pair for pair, p in predicted.items() if p != want]
        if wrong:
            seen = _observe(net, [pair for pair in wrong if predicted[pair] is not None], predicted)
            raise ModelRefused(f"the model does not predict {'available' if want else 'unavailable'} for "
                               f"{_fmt(net, wrong)}: holders {({s: sorted(net.model.holders(s)) for s, _ in wrong})}",
                               asked={pair: want for pair in wrong}, predicted={pair: predicted[pair] for pair in wrong},
                               observed=seen, difference=wrong)
    before = {s: set(net.model.holders(s)) for s in {s for s, _ in pairs}}  # loads add holders: explain from before
    observed = _observe(net, pairs, predicted)
    wrong = [pair for pair in pairs if observed[pair] != predicted[pair]]
    open_pairs = len(every) - len(pairs)
    net.timeline.record("expect", f"availability of {len(pairs)} (stream, node) pairs"
                                  + (f" ({open_pairs} left open by slow or lossy links)" if open_pairs else ""))
    if wrong:
        raise ExpectationFailed("availability differs from the model:\n" + "\n".join(
            f"  {explain_pair(net, s, n, predicted[(s, n)], before[s])}" for s, n in wrong) + "\n" + "\n".join(_context(net)()),
            expected=predicted, observed=observed, difference=wrong)
    return observed


AVAILABLE_RETRIES = 2


def explain_pair(net: Fleet, stream: str, node: str, predicted: bool, holders: set[str] | None = None) -> str:
    """Why the model predicts what it does for one pair, in words, with the fault behind it; `holders`
    as they were when the model predicted (the probe's own load makes the loading node one)."""
    short = f"{stream[:12]}…"
    holders = sorted(net.model.holders(stream) if holders is None else holders)
    since = _last_change(net)
    if predicted:
        reachable = sorted(set(holders) & net.model.component(node))
        return (f"{node} failed to load {short}, but the model predicts it can: its holder(s) "
                f"{', '.join(reachable)} are in its component{since}")
    if node in net.model.down:
        return f"{node} loaded {short}, but the model has it down{since}"
    if not holders:
        return f"{node} loaded {short}, but the model says no node holds it any more (pins and caches){since}"
    return (f"{node} loaded {short}, but the model says it cannot: its {len(holders)} holder(s) "
            f"({', '.join(holders)}) are in another component{since}")


def _last_change(net: Fleet) -> str:
    changes = [e for e in net.timeline if e.kind in ("apply", "undo")]
    return f" since {changes[-1].at:.1f} s ({changes[-1].kind} {changes[-1].what})" if changes else ""


def _observe(net: Fleet, pairs, predicted) -> dict:
    """Pairs predicted unavailable are tried all at once (each changes nothing); the rest go in
    order per node, since a successful load is a cache use and the model replays uses in order."""
    doubtful = [pair for pair in pairs if predicted[pair] is False]
    observed = dict(zip(doubtful, fan_out(lambda pair: net.try_load(pair[1], pair[0]), doubtful, 64)))
    by_node: dict[str, list[str]] = {}
    for stream, node in pairs:
        if predicted[(stream, node)]:
            by_node.setdefault(node, []).append(stream)
    results = dict(zip(by_node, fan_out(lambda n: [net.try_load(n, s) for s in by_node[n]], by_node, 8)))
    observed.update({(s, n): ok for n, streams in by_node.items() for s, ok in zip(streams, results[n])})
    for pair in [p for p in pairs if predicted[p] and not observed[p]]:
        # A load can miss its sync timeout on a starved CPU; unavailability must hold on retries.
        observed[pair] = any(net.try_load(pair[1], pair[0]) for _ in range(AVAILABLE_RETRIES))
    return observed


def holders(net: Fleet, streams) -> None:
    streams = [streams] if isinstance(streams, str) else list(streams or net.stream_ids)
    held = observe.holdings(net.runtimes, net.up())
    wrong = []
    for stream in streams:
        expected = {n for n in net.model.holders(stream) if n in held}
        seen = {n for n, (pins, cache) in held.items() if stream in pins or stream in cache}
        if expected != seen:
            wrong.append(f"{cut(stream, net.stream_ids)}: expected holders {sorted(expected)}, observed {sorted(seen)}")
    if wrong:
        raise ExpectationFailed("wrong holders: " + "; ".join(wrong), difference=wrong)


def _fmt(net: Fleet, pairs) -> str:
    return ", ".join(f"({cut(s, net.stream_ids)}, {n})" for s, n in pairs)


def tips(net: Fleet, timeout: float) -> float:
    """Every up node on the tip the model predicts from the blocks the harness mined."""
    net.requires("chain")
    up = net.up()
    predicted = {name: net.model.chain.tips(name) for name in up}

    def wrong(observed) -> dict[str, str]:
        return {name: _tip_text(observed[name][1], observed[name][0]) for name in up
                if not any(height == observed[name][1] and (tip is None or tip == observed[name][0])
                           for height, tip in predicted[name])}

    last: list = [{}]

    def observe_tips():
        last[0] = observe.tips(net.runtimes, up)
        return last[0]

    try:
        _, took = wait_for(observe_tips, lambda observed: not wrong(observed), timeout=timeout,
                           expected="tips as predicted", logs=_context(net), gone=_gone(net))
    except WaitTimeout as exc:
        difference = wrong(last[0]) if last[0] else {name: "no answer" for name in up}
        reasons = "; ".join(f"{name} is at {seen}, predicted "
                            f"{' or '.join(_tip_text(h, t) for h, t in sorted(predicted[name], key=str))}"
                            f"{_why(net, name)}" for name, seen in difference.items())
        raise ExpectationFailed(f"tips differ from the model: {reasons}\n{exc}", expected=predicted,
                                observed=last[0], difference=difference) from exc
    net.timeline.record("expect", f"tips as predicted on {len(up)} nodes", took)
    return took


def _tip_text(height: int, tip: str | None) -> str:
    return f"height {height}" + (f" ({tip[:12]}…)" if tip else " (genesis)")


def _why(net: Fleet, name: str) -> str:
    component = sorted(net.model.component(name))
    return f" (its component: {', '.join(component)})" if len(component) < len(net.up()) else ""


def reorgs(net: Fleet, nodes, timeout: float) -> dict:
    """Each node the model says switched branches lists the branch it left in getchaintips: a
    non-active tip at the abandoned block with branchlen equal to the predicted reorg depth."""
    net.requires("chain")
    unknown = sorted(set(nodes or ()) & net.model.chain.unknown_reorg)
    if unknown:
        raise AmbiguousChain(f"{', '.join(unknown)} left one of several equally long branches for a longer one: "
                             f"the model cannot say which side tip getchaintips should list")
    predicted = {name: reorg for name, reorg in net.model.chain.reorgs.items()
                 if name in net.up() and (nodes is None or name in nodes)}
    if nodes is not None and set(nodes) - set(predicted):
        missing = sorted(set(nodes) - set(predicted))
        raise ModelRefused(f"the model predicts no reorg on {', '.join(missing)}: they never left a branch",
                           asked={n: "a reorg" for n in missing}, predicted={n: None for n in missing},
                           difference=missing)

    def wrong(found) -> dict[str, str]:
        bad = {}
        for name, reorg in predicted.items():
            shown = {(t["branchlen"], t["hash"]) for t in found[name] if t["status"] != "active"}
            if not shown & reorg.shown_as():
                side = [t for t in found[name] if t["hash"] == reorg.abandoned]
                also = "".join(f" or {tip[:12]}… with branchlen {depth}" for depth, tip in sorted(reorg.or_else))
                bad[name] = (f"expected the abandoned tip {reorg.abandoned[:12]}… with branchlen {reorg.depth}{also}, "
                             f"getchaintips has {side[0] if side else 'no such tip'}")
        return bad

    last: list = [{}]

    def observe_tips():
        last[0] = {name: net.runtime(name).client.chain_tips() for name in predicted}
        return last[0]

    try:
        wait_for(observe_tips, lambda found: not wrong(found), timeout=timeout,
                 expected=f"abandoned branches on {', '.join(sorted(predicted)) or 'no node'}", logs=_context(net),
                 gone=_gone(net))
    except WaitTimeout as exc:
        difference = wrong(last[0]) if last[0] else {}
        raise ExpectationFailed("reorgs differ from the model: " + "; ".join(f"{n}: {d}" for n, d in difference.items())
                                + f"\n{exc}", expected=predicted, observed=last[0], difference=difference) from exc
    net.timeline.record("expect", "reorgs " + (", ".join(f"{n} by {r.depth}" for n, r in sorted(predicted.items()))
                                               or "none predicted"))
    return predicted
