"""Interest sync figures (issue 26) on four fully meshed nodes, every node interested in one Model:
Keramik's recon-event-sync measured locally.

- posts/s on `node`: signed MID init events (signed beforehand) posted to /ceramic/events from
  POSTERS concurrent clients. Posting only builds the backlog; it is not the figure the goal is on.
- events/s taken in per peer: a backlog of `plan.ceramic_backlog` events is posted to `node`
  alone first; then the other three register the interest and take it in by Recon. Each one's
  rise in ceramic_recon_value_insert_count_total (its /metrics) over the seconds from registering
  to taking in the whole backlog; the slowest peer's. The goal (issue 26: 1,000/s on 4 docker
  nodes) and Keramik's floor (300/s) stand beside it. The backlog is thousands of events so that
  the fixed part (registering, the first round's round trip) is a small part of what is timed.
- the same per peer CPU-second: the rise over the peer process's utime+stime in that window
  (/proc of the node process, as footprint.py reads it). Three peers and the sender share the
  machine's cores, so on a loaded machine the wall figure measures the neighbours; this one does not.
- post-to-feed latency: one more event, from its post until every node's feed holds it.
- Keramik's own shape: recon-event-sync runs on two nodes, one writer and one peer, each in a
  pod of its own. A second fresh Model's backlog is taken in by one peer alone (the other two
  nodes are not interested, so they idle): one peer and the writer on the two cores, as there.
"""

from __future__ import annotations

import re
import urllib.request
from typing import Iterator

from fakenet.bench import harness_net
from fakenet.bench.context import Context
from fakenet.bench.figure import Figure, spec
from fakenet.bench.footprint import cpu_seconds
from fakenet.bench.guard import per_backend
from fakenet.bench.stats import rate
from fakenet.harness import clock
from fakenet.harness.ceramic_writer import CeramicWriter
from fakenet.harness.interests import feed_cids
from fakenet.harness.waits import wait_for

SEED = 26
GOAL_PER_PEER = 1000.0  # issue 26: events/s taken in per peer, 4 docker nodes
KERAMIK_FLOOR = 300.0  # Keramik's recon-event-sync floor, per peer
POSTERS = 4  # concurrent clients building the backlog
INTAKE_TIMEOUT = 300.0  # seconds for the peers to take the backlog in, on a machine others load too
INSERTS = re.compile(r"^ceramic_recon_value_insert_count_total\{[^}]*\} (\d+)$", re.M)


def taken_in(url: str) -> int:
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as answer:
        return sum(int(n) for n in INSERTS.findall(answer.read().decode()))


def node_pid(net, name: str) -> int:
    """The node process's pid on this host: the local process, or the container's (footprint.py)."""
    runtime = net.runtime(name)
    if hasattr(runtime, "inspect"):  # docker: the node is the container's first process
        return runtime.inspect()["State"]["Pid"]
    return runtime.process.process.pid


def one_run(net, writer: CeramicWriter, count: int) -> dict[str, float]:
    """A fresh Model: `count` events posted to `node` alone, then the other three take an interest
    in it and take the backlog in by Recon; then one more event, timed to every feed."""
    urls = {name: net.runtime(name).url("ceramic_one") for name in net.names}
    peers = [name for name in net.names if name != "node"]
    model = writer.create_model(net.runtime("node").url("api"))
    writer.register_interest(urls["node"], model)
    posted, posting = timed_post(urls["node"], writer.sign(model, count), POSTERS)
    took = intake(net, writer, model, urls, peers, count)
    for name in peers:  # the counters said so; the feeds must show it
        holds(urls[name], name, posted)
    last, _ = timed_post(urls["node"], writer.sign(model, 1), 1)
    posted_at = clock.monotonic()
    latency = max(holds(urls[name], name, last) for name in peers) - posted_at
    alone = writer.create_model(net.runtime("node").url("api"))
    writer.register_interest(urls["node"], alone)
    timed_post(urls["node"], writer.sign(alone, count), POSTERS)
    (one_peer,) = intake(net, writer, alone, urls, peers[:1], count).values()
    return {"posts": rate(count, posting), "per_peer": min(rate(n, seconds) for n, seconds, _ in took.values()),
            "per_cpu": min(rate(n, cpu) for n, _, cpu in took.values()), "latency": 1000 * latency,
            "one_peer": rate(one_peer[0], one_peer[1])}


def intake(net, writer: CeramicWriter, model: str, urls: dict[str, str], peers: list[str],
           count: int) -> dict[str, tuple[int, float, float]]:
    """Peer -> (events it took in, seconds from registering its interest to the last of them, CPU
    seconds of its node process in that window). The peers are polled together, each on its cheap
    counter, so none is timed late for waiting behind another."""
    before = {name: taken_in(urls[name]) for name in peers}
    pids = {name: node_pid(net, name) for name in peers}
    cpu_before = {name: cpu_seconds(pids[name]) for name in peers}
    joined = clock.monotonic()
    for name in peers:
        writer.register_interest(urls[name], model)
    done: dict[str, tuple[int, float, float]] = {}

    def probe() -> dict:
        for name in peers:
            if name not in done and (rise := taken_in(urls[name]) - before[name]) >= count:
                done[name] = (rise, clock.monotonic() - joined, cpu_seconds(pids[name]) - cpu_before[name])
        return done

    wait_for(probe, lambda found: len(found) == len(peers), timeout=INTAKE_TIMEOUT, max_interval=0.1,
             expected=f"every peer to take in the {count}-event backlog by Recon "
                      f"(done: {', '.join(sorted(done)) or 'none'})",
             logs=lambda: net.logs(5))
    return done


def timed_post(url: str, signed: list, clients: int) -> tuple[set[str], float]:
    started = clock.monotonic()
    posted = {str(document.init) for document in CeramicWriter.post_signed(url, signed, clients)}
    return posted, clock.monotonic() - started


def holds(url: str, name: str, cids: set[str]) -> float:
    """The moment the node's feed held every one of `cids`."""
    wait_for(lambda: feed_cids(url, timeout=60), lambda seen: cids <= seen, timeout=120,
             expected=f"{name}'s feed to hold all {len(cids)} events")
    return clock.monotonic()


def measure(ctx: Context, backend: str) -> dict[str, list[float]]:
    seen: dict[str, list[float]] = {"posts": [], "per_peer": [], "per_cpu": [], "latency": [], "one_peer": []}
    writer = CeramicWriter(SEED)
    with harness_net.network(ctx, 4, backend, "full") as net:
        for attempt in range(1, ctx.plan.ceramic_runs + 1):
            for series, value in one_run(net, writer, ctx.plan.ceramic_backlog).items():
                seen[series].append(value)
            ctx.progress(f"ceramic ({backend}) run {attempt}: " + ", ".join(f"{k} {v[-1]:.1f}" for k, v in seen.items()))
    return seen


def _specs(ctx: Context, backend: str) -> dict[str, Figure]:
    events = ctx.plan.ceramic_backlog
    keramik = f"Keramik's floor {KERAMIK_FLOOR:g}/s"
    return {
        "posts": spec(f"ceramic.posts.{backend}", "ceramic", f"events posted per second, one node ({backend})", "/s",
                      note=f"{events} signed init events, {POSTERS} concurrent POST /ceramic/events clients"),
        "per_peer": spec(f"ceramic.recon.per_peer.{backend}", "ceramic",
                         f"events/s taken in per peer, slowest of 3 ({backend})", "/s",
                         goal=GOAL_PER_PEER if backend == "docker" else None, at_least=True,
                         extra={"keramik_floor": KERAMIK_FLOOR},
                         note=f"{keramik}; a {events}-event backlog, interest registered → all taken in"),
        "per_cpu": spec(f"ceramic.recon.per_cpu.{backend}", "ceramic",
                        f"  the same per peer CPU-second ({backend})", "/s",
                        note="the peer node process's utime+stime in that window: the load does not move it"),
        "one_peer": spec(f"ceramic.recon.one_peer.{backend}", "ceramic",
                         f"events/s taken in, one interested peer: Keramik's shape ({backend})", "/s",
                         goal=GOAL_PER_PEER if backend == "docker" else None, at_least=True,
                         extra={"keramik_floor": KERAMIK_FLOOR},
                         note=f"{keramik}; recon-event-sync's two nodes: the writer and one peer take the "
                              f"{events}-event backlog, the other two idle"),
        "latency": spec(f"ceramic.recon.latency.{backend}", "ceramic", f"one event, post to every feed ({backend})", "ms",
                        note="4 nodes, full mesh, all interested"),
    }


def figures(ctx: Context) -> Iterator[Figure]:
    yield from per_backend(ctx, _specs, measure, ctx.plan.ceramic_backends)
