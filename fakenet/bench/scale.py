"""Scale figures: 64 nodes on one host without per-node published ports, beside publishing them and
beside bare containers, and the same 64 nodes over two hosts (the hosts backend, one overlay).

The docker backend reaches nodes at their container address where this host routes there:
publishing four ports per node cost 256 docker-proxy processes and NAT rules at 64 nodes. The
multi-host start needs a second host: $FAKENET_SECOND_HOST (.ci/sshd sets ssh://root@localhost:PORT,
a second client of this engine, where no second engine runs).
"""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Iterator

from fakenet.bench import bare, harness_net
from fakenet.bench.context import Context
from fakenet.bench.figure import Figure, spec
from fakenet.bench.guard import guarded

COUNT, TOPOLOGY = 64, "random-regular"
GOAL_64 = 25.0  # issue 18: 64 nodes on one host in 25 s or less (bare containers: about 11 s)


def _specs() -> dict[str, Figure]:
    figures = [
        spec(f"scale.bare.{COUNT}", "scale", f"{COUNT} bare containers running (the limit)", "s"),
        spec(f"scale.docker.{COUNT}", "scale", f"harness docker, {COUNT} nodes (degree 3), container addresses: "
             "meshed", "s", goal=GOAL_64),
        spec(f"scale.docker.{COUNT}.published", "scale", f"harness docker, {COUNT} nodes, four published ports each",
             "s"),
        spec(f"scale.hosts.{COUNT}", "scale", f"harness hosts, {COUNT} nodes over two hosts, one overlay: meshed", "s"),
        spec(f"scale.hosts.{COUNT}.close", "scale", f"harness hosts close(), {COUNT} nodes, overlay and swarm", "s"),
    ]
    return {figure.key: figure for figure in figures}


def _start(ctx: Context, backend: str, **options) -> tuple[float, float]:
    net = harness_net.make(ctx, COUNT, backend, TOPOLOGY, **options)
    try:
        started = harness_net.seconds(net.start)
    finally:
        closed = harness_net.seconds(net.close)
    return started, closed


def one_run(ctx: Context) -> dict[str, float]:
    seen = {f"scale.bare.{COUNT}": bare.start_and_remove(ctx, COUNT)[0],
            f"scale.docker.{COUNT}": _start(ctx, "docker", publish=False)[0],
            f"scale.docker.{COUNT}.published": _start(ctx, "docker", publish=True)[0]}
    second = os.environ.get("FAKENET_SECOND_HOST")
    if second:
        seen[f"scale.hosts.{COUNT}"], seen[f"scale.hosts.{COUNT}.close"] = _start(
            ctx, "hosts", hosts={"local": "local", "second": second})
    return seen


def measure(ctx: Context) -> list[Figure]:
    samples: dict[str, list[float]] = defaultdict(list)
    for attempt in range(1, (1 if ctx.plan.quick else 2) + 1):
        for key, value in one_run(ctx).items():
            samples[key].append(value)
        ctx.progress(f"scale, {COUNT} nodes: run {attempt}: " + ", ".join(f"{k} {v[-1]:.1f}" for k, v in samples.items()))
    return [figure.with_samples(samples[key]) if key in samples else
            figure.not_measured("no second host: set FAKENET_SECOND_HOST (see .ci/sshd)")
            for key, figure in _specs().items()]


def figures(ctx: Context) -> Iterator[Figure]:
    yield from guarded(_specs().values(), lambda: measure(ctx), ctx.progress)
