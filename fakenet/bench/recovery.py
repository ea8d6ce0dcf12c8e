"""Recovery figures: heal to graph and chain converged, and crash to re-pin for replicated pinning.

Heal: the network is cut in two halves, each side mines its own blocks (two on one side, one
on the other, so healing forces a reorg), then the clock runs from `heal()` until the oracle
sees the expected graph and one most-work tip (`expect_recovered`). The part spent in `heal()`
itself (undoing the link rules on every node) is kept in the JSON's `extra`.

Re-pin: four nodes with the replication-repin scenario's setting (cluster TTL 2 s), four
streams pinned with rmin = rmax = 2; the clock runs from crashing the first holder until every
live node pins what the allocation predicts. A peer is down only a TTL after its last heartbeat
(sent every TTL/4), so TTL less one heartbeat interval is a floor.
"""

from __future__ import annotations

from typing import Iterator

from fakenet.bench import harness_net
from fakenet.bench.context import Context
from fakenet.bench.figure import Figure, spec
from fakenet.bench.guard import guarded
from fakenet.bench.plan import QUICK_SKIPS
from fakenet.bench.timing import seconds
from fakenet.harness.network import Network

ADDRESS = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"  # regtest P2WPKH: anything valid will do
GOAL_HEAL_16 = 2.0
CLUSTER_TTL = 2.0
WITHIN = 60.0


def split_and_fork(net: Network) -> None:
    half = len(net.names) // 2
    left, right = net.names[:half], net.names[half:]
    net.partition([left, right])
    net.oracle.expect_graph(timeout=WITHIN)
    net.runtime(left[0]).rpc.generatetoaddress(2, ADDRESS)
    net.runtime(right[0]).rpc.generatetoaddress(1, ADDRESS)
    net.oracle.expect_converged(timeout=WITHIN)  # each side on its own tip before the heal


def heal_once(net: Network) -> tuple[float, float]:
    """(seconds from heal() to recovered, of which in heal() itself)."""
    split_and_fork(net)
    in_heal = seconds(net.heal)
    return in_heal + net.oracle.expect_recovered(within=WITHIN), in_heal


def heal_spec(count: int, backend: str) -> Figure:
    return spec(f"recovery.heal.{backend}.{count}", "recovery",
                f"heal → graph + chain converged, {count} nodes ({backend})", "s", goal=GOAL_HEAL_16 if count == 16 and backend == "docker" else None,
                note="halves partitioned, 2 vs 1 block mined; one network, one sample per heal")


def heal_figure(ctx: Context, figure: Figure, count: int, backend: str) -> list[Figure]:
    runs = []
    with harness_net.network(ctx, count, backend) as net:
        for attempt in range(1, ctx.plan.cheap_runs + 1):
            runs.append(heal_once(net))
            ctx.progress(f"{figure.label}: heal {attempt}: {runs[-1][0]:.2f} s (heal() {runs[-1][1]:.2f} s)")
    result = figure.with_samples([total for total, _ in runs])
    result.extra["in_heal_call"] = [in_heal for _, in_heal in runs]
    return [result]


def pin_cluster(net: Network, count: int = 4) -> list[str]:
    streams = [net.streams.create("node") for _ in range(count)]
    for stream in streams:
        net.cluster.pin("node", stream, 2, 2)
    net.oracle.expect_allocations(within=WITHIN)
    return streams


def repin_once(net: Network, streams: list[str]) -> float:
    """Crash the first stream's first holder; seconds until the allocations match again. Then undo."""
    holder = next(name for name, pins in sorted(net.cluster.expected_pins().items()) if streams[0] in pins)
    took = seconds(lambda: (net.crash(holder), net.oracle.expect_allocations(within=WITHIN)))
    net.heal()
    net.oracle.expect_recovered(within=WITHIN)
    net.oracle.expect_allocations(within=WITHIN)
    return took


def repin_spec(backend: str) -> Figure:
    return spec(f"recovery.repin.{backend}", "recovery", f"crash → re-pinned, 4 nodes ({backend})", "s",
                note=f"floor: cluster TTL {CLUSTER_TTL:g} s less one heartbeat ({CLUSTER_TTL / 4:g} s); "
                     "4 streams, rmin = rmax = 2")


def repin_figure(ctx: Context, figure: Figure, backend: str) -> list[Figure]:
    samples = []
    with harness_net.network(ctx, 4, backend, settings={"cluster_ttl": CLUSTER_TTL}) as net:
        streams = pin_cluster(net)
        for attempt in range(1, ctx.plan.cheap_runs + 1):
            samples.append(repin_once(net, streams))
            ctx.progress(f"{figure.label}: crash {attempt}: {samples[-1]:.2f} s")
    return [figure.with_samples(samples)]


def figures(ctx: Context) -> Iterator[Figure]:
    for backend in ("docker", "local"):
        if backend not in ctx.plan.recovery_backends:
            yield from (figure.not_measured(QUICK_SKIPS[f"recovery-{backend}"])
                        for figure in [*(heal_spec(n, backend) for n in ctx.plan.recovery_sizes), repin_spec(backend)])
            continue
        for count in ctx.plan.recovery_sizes:
            figure = heal_spec(count, backend)
            yield from guarded([figure], lambda: heal_figure(ctx, figure, count, backend), ctx.progress)
        figure = repin_spec(backend)
        yield from guarded([figure], lambda: repin_figure(ctx, figure, backend), ctx.progress)
