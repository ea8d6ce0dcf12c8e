"""One simulation: the virtual-time loop, the wire, the root seed, which node owns which task, and
the trace of what the nodes did.

The loop runs only while the harness waits for something (a call to a node, a poll interval), so
between two harness steps network time stands still, and the harness's calls reach the network in
the same order on every run. Each node's tasks run in a context naming the node and carrying its
RNG (fakenet/node/entropy.py), forked from the root seed; a task factory files every task under
the node whose context created it, so a crash can cancel exactly that node's tasks.
"""

from __future__ import annotations

import asyncio
import gc
import contextvars
import logging
import random
from collections import deque
from pathlib import Path

from fakenet.node import clock as node_clock, entropy, logs
from fakenet.harness import clock as harness_clock
from fakenet.sim.loop import VirtualLoop
from fakenet.sim.pipes import Wire

NODE: contextvars.ContextVar[str | None] = contextvars.ContextVar("fakenet_sim_node", default=None)
EPOCH = 1_700_000_000.0  # the wall clock nodes read at network time 0: fixed, so block times replay
LOG_TAIL = 200  # log lines kept per node for failure reports
CANCEL_GRACE = 5.0  # network seconds cancelled tasks get to unwind
CANCEL_ROUNDS = 3
GC_THRESHOLD = 1_000_000  # allocations between young-generation collections (Python's default: 700)
GC_MIDDLE = 10  # young collections between middle-generation ones (Python's default: 10)


class World:
    def __init__(self, seed: int, workdir: Path, trace: Path | None = None):
        """`trace`: a file the trace is written to as the run goes (a long run's trace held in
        memory grew without bound); without one, only each node's last LOG_TAIL lines are kept."""
        self.seed, self.workdir = seed, workdir
        self._workdir_text = str(workdir)  # replaced in every trace line
        self.loop = VirtualLoop()
        self.loop.set_task_factory(self._new_task)
        self.wire = Wire()
        self._trace = open(trace, "w", encoding="utf-8", buffering=1 << 16) if trace else None
        self.logs: dict[str, deque[str]] = {}
        self._tasks: dict[str, _NodeTasks] = {}  # node -> its tasks, in creation order
        self._contexts: dict[str, contextvars.Context] = {}
        self._handler = _TraceHandler(self)

    # -- seeds and contexts ----------------------------------------------------------------------

    def rng(self, *path: object) -> random.Random:
        """An RNG forked from the root seed by a path ("node3", "boot", 2): the same on every run
        (string seeds hash with SHA-512, not with Python's per-process hash)."""
        return random.Random("/".join(map(str, (self.seed, *path))))

    def boot_context(self, node: str, boot: int) -> contextvars.Context:
        """A fresh context for a node's `boot`-th start: its name and an RNG of its own."""
        context = contextvars.Context()
        context.run(NODE.set, node)
        context.run(entropy.use, self.rng(node, "boot", boot))
        self._contexts[node] = context
        return context

    def _new_task(self, loop, coro, context=None):
        task = asyncio.Task(coro, loop=loop, context=context)
        # A task without a context of its own runs in a copy of the current one: same owner.
        owner = context.get(NODE) if context is not None else NODE.get()
        if owner is not None:
            tasks = self._tasks.get(owner)
            if tasks is None:
                tasks = self._tasks[owner] = _NodeTasks()
            tasks.add(task)
        return task

    def cancel_tasks(self, *nodes: str) -> None:
        """Cancel everything the nodes run, node by node in creation order, and let the cancellations
        finish: one run of the loop for them all (a thousand nodes torn down one by one ran it a
        thousand times)."""
        for _ in range(CANCEL_ROUNDS):  # unwinding code may start new tasks; a cancel may be swallowed
            tasks = [task for node in nodes for task in self._tasks.pop(node, ()) if not task.done()]
            if not tasks:
                return
            for task in tasks:
                task.cancel()
            self.loop.run_until_complete(asyncio.wait(tasks, timeout=CANCEL_GRACE))

    # -- running ---------------------------------------------------------------------------------

    def activate(self) -> None:
        """Point the node clock and the harness clock at this world's network time."""
        now = self.loop.time_reader()
        node_clock.install(now, lambda: EPOCH + now())
        harness_clock.install(self.loop.time, self.sleep)
        # The swarm's re-dial jitter (fakenet.node.swarm.redial_wait) draws from the random module's own RNG.
        random.seed(f"{self.seed}/module-random")
        # A thousand nodes hold millions of objects; the default thresholds scan them all so often
        # that collection cost more than the protocols (measured: 40% less CPU per network second).
        # A young generation of a million (50,000 before) lets a network's start and heal build what
        # they build before it is scanned, and the middle generation is collected less often: each
        # object that lives is scanned fewer times (1,002-node test: 3.6 s of collection -> 2.3 s).
        self._gc_threshold = gc.get_threshold()
        gc.set_threshold(GC_THRESHOLD, GC_MIDDLE, 1000)
        logger = logging.getLogger("fakenet.node")
        logger.handlers[:] = [self._handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False

    def deactivate(self) -> None:
        gc.set_threshold(*self._gc_threshold)
        node_clock.reset()
        harness_clock.reset()
        logging.getLogger("fakenet.node").handlers[:] = []

    def now(self) -> float:
        return self.loop.time()

    def run(self, coro, node: str | None = None, timeout: float | None = None):
        """Run the network until `coro` (in `node`'s context) finishes; network time moves meanwhile."""
        context = self._contexts.get(node) if node else None
        if timeout is not None:  # a timeout inside the one task, not wait_for's second task and timer
            coro = _within(coro, timeout)
        return self.loop.run_until_complete(self.loop.create_task(coro, context=context.copy() if context else None))

    def sleep(self, seconds: float) -> None:
        self.loop.run_until_complete(asyncio.sleep(seconds))

    # -- trace -----------------------------------------------------------------------------------

    def record(self, node: str, line: str) -> None:
        text = f"t={self.now():.6f} node={node} {line}".replace(self._workdir_text, "<workdir>")
        if self._trace:
            self._trace.write(text + "\n")
        self.logs.setdefault(node, deque(maxlen=LOG_TAIL)).append(text)

    def close(self) -> None:
        try:
            self.cancel_tasks(*self._tasks)
        finally:
            try:
                self.loop.close()
                self.deactivate()
            finally:
                if self._trace:
                    self._trace.close()


async def _within(coro, timeout: float):
    async with asyncio.timeout(timeout):
        return await coro


class _NodeTasks:
    """One node's tasks in creation order. Finished ones are dropped in batches, whenever the list
    has doubled since the last sweep, not by a done-callback per task: a callback is one more
    loop round trip per task, and a thousand nodes start a task for every frame they read or
    broadcast. Amortised, a task costs O(1) here and at most half the list is finished tasks."""

    SWEEP_FROM = 64

    def __init__(self):
        self._tasks: list[asyncio.Task] = []
        self._sweep_at = self.SWEEP_FROM

    def add(self, task: asyncio.Task) -> None:
        self._tasks.append(task)
        if len(self._tasks) >= self._sweep_at:
            self._tasks = [task for task in self._tasks if not task.done()]
            self._sweep_at = max(self.SWEEP_FROM, 2 * len(self._tasks))

    def __iter__(self):
        return iter(self._tasks)


class _TraceHandler(logs.DirectHandler):
    """Node log records become trace lines, stamped with network time and the node whose task logged.
    A node's EventLogger hands its events straight to `event` (no LogRecord: logs.DirectHandler);
    records of other loggers below fakenet.node come through `emit`, as the same line."""

    def __init__(self, world: World):
        super().__init__(logging.INFO)
        self._world = world

    def emit(self, record: logging.LogRecord) -> None:
        self._line(record.levelname, record.getMessage(), getattr(record, "fields", {}))

    def event(self, level: int, event: str, fields: dict) -> None:
        self._line(logging.getLevelName(level), event, fields)

    def _line(self, levelname: str, message: str, fields: dict) -> None:
        fields = " ".join(f"{key}={value}" for key, value in fields.items())
        self._world.record(NODE.get() or "-", f"level={levelname.lower()} event={message} {fields}")
