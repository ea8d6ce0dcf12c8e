"""Stream figures on a line of four nodes (node – node2 – node3 – node4).

- creates/s and loads/s on `node`: one client making sequential JSON-RPC calls (a new HTTP
  connection each, as the harness and tests do); the loads are of streams `node` holds.
- load latency across 3 hops: `node4` loads streams only `node` holds (created there, unpinned,
  so in its cache); each is node4's first load of that stream: a query flooded over two relays.
"""

from __future__ import annotations

from typing import Iterator

from faker import Faker

from fakenet.bench import harness_net
from fakenet.bench.context import Context
from fakenet.bench.figure import Figure, spec
from fakenet.bench.guard import per_backend
from fakenet.bench.stats import percentile, rate
from fakenet.bench.timing import seconds
from fakenet.harness.network import Network

SEED = 8


def contents(faker: Faker, count: int) -> list[dict]:
    return [{"title": faker.sentence(), "body": faker.text(120)} for _ in range(count)]


def creates(net: Network, batch: list[dict]) -> tuple[list[str], float]:
    rpc, made = net.runtime("node").rpc, []
    took = seconds(lambda: made.extend(rpc.createstream(content, False)["streamId"] for content in batch))
    return made, took


def loads(net: Network, name: str, streams: list[str]) -> list[float]:
    rpc = net.runtime(name).rpc
    return [seconds(lambda stream=stream: rpc.loadstream(stream)) for stream in streams]


def measure(ctx: Context, backend: str) -> dict[str, list[float]]:
    faker, plan = Faker(), ctx.plan
    faker.seed_instance(SEED)
    seen: dict[str, list[float]] = {"creates": [], "loads": [], "p50": [], "p99": []}
    with harness_net.network(ctx, 4, backend, "line") as net:
        for attempt in range(1, plan.runs + 1):
            made, took = creates(net, contents(faker, plan.stream_ops))
            seen["creates"].append(rate(len(made), took))
            seen["loads"].append(rate(len(made), sum(loads(net, "node", made))))
            far, _ = creates(net, contents(faker, plan.hop_loads))
            latencies = [1000 * s for s in loads(net, "node4", far)]
            seen["p50"].append(percentile(latencies, 50))
            seen["p99"].append(percentile(latencies, 99))
            ctx.progress(f"streams ({backend}) run {attempt}: " +
                         ", ".join(f"{k} {v[-1]:.1f}" for k, v in seen.items()))
    return seen


def _specs(ctx: Context, backend: str) -> dict[str, Figure]:
    """Figures by the series of `measure()` they show."""
    ops, hops = ctx.plan.stream_ops, ctx.plan.hop_loads
    return {
        "creates": spec(f"streams.creates.{backend}", "streams", f"creates per second, one node ({backend})", "/s",
                        note=f"{ops} sequential createstream calls per run"),
        "loads": spec(f"streams.loads.{backend}", "streams", f"loads per second, one node, held ({backend})", "/s",
                      note=f"{ops} sequential loadstream calls per run"),
        "p50": spec(f"streams.hop3.p50.{backend}", "streams", f"3-hop load latency p50 ({backend})", "ms",
                    note=f"{hops} first loads per run at node4 of streams held by node"),
        "p99": spec(f"streams.hop3.p99.{backend}", "streams", f"3-hop load latency p99 ({backend})", "ms",
                    note=f"{hops} first loads per run"),
    }


def figures(ctx: Context) -> Iterator[Figure]:
    yield from per_backend(ctx, _specs, measure)
