"""A compose network exactly as a developer starts one: `./fake -p <unique> up -d --nodes N`, then `down -v`.

The project name is unique to this bench run and FAKENET_RUN carries the run id, so the
compose file labels everything it makes; whatever `down -v` leaves is swept by that label.
"""

from __future__ import annotations

import os
import subprocess
from contextlib import contextmanager
from typing import Iterator

from fakenet import compose
from fakenet.bench.context import PROJECT, Context, sweep
from fakenet.bench.timing import timed
from fakenet.errors import ContainerError

FAKE = str(compose.REPO / "fake")
TIMEOUT = 600


class ImageRebuilt(ContainerError):
    """`up` had to build first (someone changed the source tree), so its time is no start-up time."""


class ComposeNet:
    def __init__(self, ctx: Context, count: int):
        self.ctx, self.count = ctx, count
        self.run = ctx.new_run()
        self.project = f"{PROJECT}-{self.run}"

    def fake(self, *args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "FAKENET_RUN": self.run}
        return subprocess.run([FAKE, "-p", self.project, *args], env=env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=TIMEOUT, cwd=compose.REPO)

    def up(self) -> float:
        """Seconds `up -d` takes to return: it returns once every node is healthy and meshed."""
        result, took = timed(lambda: self.fake("up", "-d", "--nodes", str(self.count)))
        if result.returncode != 0:
            raise ContainerError(f"./fake up -d --nodes {self.count} failed: {result.stderr.strip()[-1500:]}",
                                 exit_code=result.returncode, output=result.stderr)
        if "build| " in result.stderr:
            raise ImageRebuilt(f"./fake up -d --nodes {self.count} built a new image before starting")
        return took

    def down(self) -> float:
        """Seconds `down -v` takes; then anything it left (containers, network, volumes, override) goes."""
        result, took = timed(lambda: self.fake("down", "-v"))
        if result.returncode != 0:
            self.ctx.progress(f"{self.project}: down -v failed, sweeping: {result.stderr.strip()[-300:]}")
        sweep(self.ctx, self.run)
        compose.override_path(self.project).unlink(missing_ok=True)
        return took

    def containers(self) -> list:
        from fakenet.netstatus import containers

        return containers(self.ctx.client, self.project)


def up_and_down(ctx: Context, count: int, retries: int = 1) -> tuple[float, float]:
    """(up seconds, down seconds); a run whose `up` had to build first is measured again."""
    net, up = ComposeNet(ctx, count), None
    try:
        up = net.up()
    except ImageRebuilt:
        if not retries:
            raise
    finally:
        down = net.down()
    return (up, down) if up is not None else up_and_down(ctx, count, retries - 1)


@contextmanager
def running(ctx: Context, count: int) -> Iterator[ComposeNet]:
    """An up compose network (for figures taken on a running one), always brought down."""
    net = ComposeNet(ctx, count)
    try:
        try:
            net.up()
        except ImageRebuilt:
            pass  # built first, but up all the same: fine for what is measured on it
        yield net
    finally:
        net.down()
