"""Networks started through the harness (`fakenet.harness.network.Network`), labelled for this bench run."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from fakenet.bench.context import PROJECT, Context
from fakenet.bench.timing import seconds

__all__ = ["make", "network", "seconds", "start_and_close"]
from fakenet.harness.network import Network

START_TIMEOUT = 240.0  # 64 docker nodes on two busy cores take about a minute


def make(ctx: Context, count: int, backend: str, topology: str = "full", **options) -> Network:
    extra = {"image": ctx.refresh_image(), "project": PROJECT, "run": ctx.new_run()} if backend in ("docker", "hosts") else {}
    return Network(count, backend=backend, topology=topology, start_timeout=START_TIMEOUT, **extra, **options)


def start_and_close(ctx: Context, count: int, backend: str, topology: str = "full") -> tuple[float, float]:
    """(seconds until started and meshed as the oracle expects, seconds to remove it all)."""
    net = make(ctx, count, backend, topology)
    try:
        started = seconds(net.start)
    finally:
        closed = seconds(net.close)
    return started, closed


@contextmanager
def network(ctx: Context, count: int, backend: str, topology: str = "full", **options) -> Iterator[Network]:
    with make(ctx, count, backend, topology, **options) as net:
        yield net
