"""Interest sync figures (issue 26) on four fully meshed nodes, every node interested in one Model:
Keramik's recon-event-sync measured locally.

- posts/s on `node`: one client posting signed MID init events to /ceramic/events, sequentially.
- events/s taken in per peer: the events are posted to `node` alone first; then the other three
  register the interest and take the backlog in by Recon. Each one's rise in
  ceramic_recon_value_insert_count_total (its /metrics) over the seconds from registering to its
  feed holding every event; the slowest peer's (Keramik's floor: 300/s). Posting does not bound it.
- post-to-feed latency: one more event, from its post until every node's feed holds it.
"""

from __future__ import annotations

import re
import urllib.request
from typing import Iterator

from fakenet.bench import harness_net
from fakenet.bench.context import Context
from fakenet.bench.figure import Figure, spec
from fakenet.bench.guard import per_backend
from fakenet.bench.stats import rate
from fakenet.harness import clock
from fakenet.harness.ceramic_writer import CeramicWriter
from fakenet.harness.interests import feed_cids
from fakenet.harness.waits import wait_for

SEED = 26
KERAMIK_FLOOR = 300.0
INSERTS = re.compile(r"^ceramic_recon_value_insert_count_total\{[^}]*\} (\d+)$", re.M)


def taken_in(url: str) -> int:
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as answer:
        return sum(int(n) for n in INSERTS.findall(answer.read().decode()))


def one_run(net, writer: CeramicWriter, count: int) -> dict[str, float]:
    """A fresh Model: `count` events posted to `node` alone, then the other three take an interest
    in it and take the backlog in by Recon; then one more event, timed to every feed."""
    urls = {name: net.runtime(name).url("ceramic_one") for name in net.names}
    peers = [name for name in net.names if name != "node"]
    model = writer.create_model(net.runtime("node").url("api"))
    writer.register_interest(urls["node"], model)
    posted, posting = timed_post(writer, urls["node"], model, count)
    before = {name: taken_in(urls[name]) for name in peers}
    joined = clock.monotonic()
    for name in peers:
        writer.register_interest(urls[name], model)
    took = {name: holds(urls[name], name, posted) - joined for name in peers}
    per_peer = min(rate(taken_in(urls[name]) - before[name], took[name]) for name in peers)
    last, _ = timed_post(writer, urls["node"], model, 1)
    posted_at = clock.monotonic()
    latency = max(holds(urls[name], name, last) for name in peers) - posted_at
    return {"posts": rate(count, posting), "per_peer": per_peer, "latency": 1000 * latency}


def timed_post(writer: CeramicWriter, url: str, model: str, count: int) -> tuple[set[str], float]:
    started = clock.monotonic()
    posted = {str(document.init) for document in writer.post(url, model, count)}
    return posted, clock.monotonic() - started


def holds(url: str, name: str, cids: set[str]) -> float:
    """The moment the node's feed held every one of `cids`."""
    wait_for(lambda: feed_cids(url), lambda seen: cids <= seen, timeout=120,
             expected=f"{name}'s feed to hold all {len(cids)} events")
    return clock.monotonic()


def measure(ctx: Context, backend: str) -> dict[str, list[float]]:
    seen: dict[str, list[float]] = {"posts": [], "per_peer": [], "latency": []}
    writer = CeramicWriter(SEED)
    with harness_net.network(ctx, 4, backend, "full") as net:
        for attempt in range(1, ctx.plan.runs + 1):
            for series, value in one_run(net, writer, ctx.plan.stream_ops).items():
                seen[series].append(value)
            ctx.progress(f"ceramic ({backend}) run {attempt}: " + ", ".join(f"{k} {v[-1]:.1f}" for k, v in seen.items()))
    return seen


def _specs(ctx: Context, backend: str) -> dict[str, Figure]:
    events = ctx.plan.stream_ops
    return {
        "posts": spec(f"ceramic.posts.{backend}", "ceramic", f"events posted per second, one node ({backend})", "/s",
                      note=f"{events} sequential POST /ceramic/events per run"),
        "per_peer": spec(f"ceramic.recon.per_peer.{backend}", "ceramic",
                         f"events/s taken in per peer, slowest peer ({backend})", "/s",
                         note=f"a backlog of {events} events, interest registered → feed complete; Keramik's floor {KERAMIK_FLOOR:g}/s"),
        "latency": spec(f"ceramic.recon.latency.{backend}", "ceramic", f"one event, post to every feed ({backend})", "ms",
                        note="4 nodes, full mesh, all interested"),
    }


def figures(ctx: Context) -> Iterator[Figure]:
    yield from per_backend(ctx, _specs, measure)
