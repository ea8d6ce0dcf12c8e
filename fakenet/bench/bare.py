"""The limit for start-up: N bare containers of the node image, started with the docker SDK.

The engine does what `up` makes it do — one network, a named volume at /data and a container
per node, started from 16 threads as the harness does — but the container runs `sleep infinity`
instead of the node and publishes no ports: what is left is the engine's own cost of getting N
containers to "running". Everything above that in `up` is fakenet's.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from fakenet.bench.cleanup import remove
from fakenet.bench.context import Context, sweep
from fakenet.bench.timing import seconds
from fakenet.harness.backends.docker import leave_one_at_a_time
from fakenet.harness.waits import wait_for
from fakenet.labels import RUN_LABEL

THREADS = 16


class BareSet:
    def __init__(self, ctx: Context, count: int):
        self.ctx, self.count = ctx, count
        self.run = ctx.new_run()
        self.labels = ctx.labels(self.run)
        self.network = None

    def start(self) -> None:
        client = self.ctx.client
        self.network = client.networks.create(f"fakenet-{self.run}", labels=self.labels)
        with ThreadPoolExecutor(min(THREADS, self.count)) as pool:
            list(pool.map(self._start_one, range(1, self.count + 1)))
        wait_for(self._running, lambda n: n == self.count, timeout=60,
                 expected=f"{self.count} bare containers running")

    def _start_one(self, index: int) -> None:
        client, name = self.ctx.client, f"fakenet-{self.run}-n{index}"
        volume = client.volumes.create(name, labels=self.labels)
        client.containers.run(self.ctx.image, ["sleep", "infinity"], detach=True, name=name, hostname=f"n{index}",
                              labels=self.labels, network=self.network.name,
                              volumes={volume.name: {"bind": "/data", "mode": "rw"}})

    def _running(self) -> int:
        return len(self.ctx.client.containers.list(ignore_removed=True, filters={"label": f"{RUN_LABEL}={self.run}", "status": "running"}))

    def remove(self) -> None:
        """Containers first (each leaves the network on its own before, as the harness does: Docker
        20.10 can leave a stale endpoint behind when many go at once), then volumes and network."""
        found = self.ctx.client.containers.list(all=True, ignore_removed=True, filters={"label": f"{RUN_LABEL}={self.run}"})
        if self.network is not None:
            leave_one_at_a_time(self.network, found)
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda c: remove(self.ctx, c, force=True, v=True), found))
        sweep(self.ctx, self.run)


def start_and_remove(ctx: Context, count: int) -> tuple[float, float]:
    """(seconds to start `count` bare containers, seconds to remove them with their volumes and network)."""
    ctx.refresh_image()
    bare = BareSet(ctx, count)
    try:
        started = seconds(bare.start)
    finally:
        removed = seconds(bare.remove)
    return started, removed
