"""The sim backend: nodes as objects in this process, on one event loop in virtual time.

Any kind that can run in-process runs here: the kind builds its node from the same Launch the
other backends hand it (NodeKind.in_process_node), given the in-memory transport; this backend
knows no kind by name. The harness reaches a node through SimRpc, which hands the node a JSON-RPC
request as an HTTP client would send it. A crash cancels the node's tasks and closes its pipes
and files: its memory is gone, its data dir (a temporary directory) stays. See fakenet/sim for
the machinery, and the README for what sim does not model.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path
from typing import Mapping

from fakenet.errors import ConfigError
from fakenet.harness.backends.base import (Backend, DataDirIdentity, LinkRules, NodeRuntime, NodeSpec,
                                           node_filter)
from fakenet.kinds.base import InProcessNode, Launch, NodeKind
from fakenet.sim.rpc import SimRpc
from fakenet.sim.world import World

BOOT_TIME = 0.5  # network seconds from start to a node's first line of code
STOP_GRACE = 5.0  # network seconds a stopping node gets to shut down before it is cancelled


class SimNode:
    """One node's life in the world: boots, crashes and graceful stops."""

    def __init__(self, world: World, kind: NodeKind, launch: Launch):
        self.world, self.kind, self.launch, self.name = world, kind, launch, launch.name
        self.node: InProcessNode | None = None
        self.task: asyncio.Task | None = None
        self.boots = 0
        self.failure: BaseException | None = None  # why the last boot ended, as a process's exit status

    def answering(self) -> bool:
        return self.node is not None and self.node.answering() and not self.task.done()

    async def call(self, request: bytes):
        return await self.node.call(request)

    def start(self) -> None:
        if self.node is not None:
            return
        self.boots += 1
        self.failure = None
        context = self.world.boot_context(self.name, self.boots)
        self.world.record(self.name, f"event=sim_boot boot={self.boots}")
        self.node = self.kind.in_process_node(self.launch, self.world.wire.transport(self.name))
        self.task = self.world.loop.create_task(self._boot(self.node), context=context)

    async def _boot(self, node: InProcessNode) -> None:
        # A process takes a while to start. Nodes started together come up together, all listening
        # before any dials, as real ones mostly do; each then dials its peers and trusts who answers.
        await asyncio.sleep(BOOT_TIME)
        try:
            await node.run()
        except Exception as exc:  # a real node would exit with this traceback: say so in its log and RPC
            self.failure = exc
            self.world.record(self.name, f"event=sim_node_failed error={exc!r}")

    def kill(self) -> None:
        """Like SIGKILL: no shutdown code of the node's own; the kernel closes its sockets and files."""
        kill_all(self.world, [self])

    def stop(self) -> None:
        if self.node is None:
            return
        self.world.record(self.name, "event=sim_stop")
        self.node.request_stop()
        task = self.task
        self.world.run(asyncio.wait([task], timeout=STOP_GRACE))
        self.kill()


def kill_all(world: World, sim_nodes: list[SimNode]) -> None:
    """SimNode.kill for many nodes at once, as when the whole machine goes: each is cut off (its
    pipes closed, its dial loops told to stop), then all their tasks are cancelled in one run of
    the loop, then their files closed."""
    running = [sim_node for sim_node in sim_nodes if sim_node.node is not None]
    for sim_node in running:
        world.record(sim_node.name, "event=sim_kill")
        world.wire.drop(sim_node.name)
        sim_node.node.halt()
    world.cancel_tasks(*(sim_node.name for sim_node in running))
    for sim_node in running:
        sim_node.node.close_files()
        sim_node.node = sim_node.task = None


class SimRuntime(DataDirIdentity, NodeRuntime):
    def __init__(self, kind: NodeKind, sim_node: SimNode):
        self.kind, self.sim_node, self.name = kind, sim_node, sim_node.name
        self._rpc = SimRpc(sim_node.world, sim_node)

    @property
    def rpc(self) -> SimRpc:
        return self._rpc

    def url(self, role: str) -> str:
        raise ConfigError(f"the sim backend serves no {role} port: nodes are reached in-process over RPC only")

    def start(self) -> None:
        self.sim_node.start()

    def kill(self) -> None:
        self.sim_node.kill()

    def stop(self) -> None:
        self.sim_node.stop()

    def pause(self) -> None:
        raise ConfigError("pause is not modelled on the sim backend (one process, no SIGSTOP); use crash or stop")

    unpause = pause

    def logs(self, tail: int = 20) -> list[str]:
        return list(self.sim_node.world.logs.get(self.name, ()))[-tail:]

    def data_dir(self) -> Path:
        return Path(self.sim_node.launch.datadir)

    def set_links(self, rules: LinkRules, identities: Mapping[str, str]) -> str:
        """Cuts on the wire (bytes dropped, dials hang) and the node's own filter for the rest, so
        loss and delay are the per-frame, seeded ones of every backend."""
        self.sim_node.world.wire.set_blocked(self.name, rules.blocked)
        node_filter(self, rules, identities)
        return "sim wire (cuts) and node link filter (loss, delay)"


class SimBackend(Backend):
    name = "sim"
    can_pause = False  # one process: a node cannot be frozen while the rest run
    serves_http = False  # nodes are reached over in-process RPC only

    def __init__(self, kind: NodeKind, seed: int = 0, trace: str | Path | None = None,
                 workdir: Path | None = None):
        if not kind.runs_on("sim"):
            raise ConfigError(f"the sim backend runs nodes in-process and node kind {kind.name!r} cannot "
                              f"(it has no in_process_node): use the local or docker backend")
        self.kind, self.trace = kind, Path(trace) if trace else None
        self._own_workdir = workdir is None
        # Data dirs in memory where the machine has a tmpfs: sim does not model the disk, and a
        # thousand nodes' fsyncs would otherwise cost more than their protocols.
        # FAKENET_SIM_TMP: a parent the caller removes, for runs it may have to kill (mutant soaks).
        shm = os.environ.get("FAKENET_SIM_TMP") or ("/dev/shm" if Path("/dev/shm").is_dir() else None)
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="fakenet-sim-", dir=shm))
        self.world = World(seed, self.workdir, self.trace)
        self.world.activate()
        self.secret = self.world.rng("cluster-secret").randbytes(32).hex()
        self.credentials = ("fakenet", self.world.rng("rpc-password").randbytes(12).hex())
        self.runtimes: dict[str, SimRuntime] = {}

    def create(self, specs: list[NodeSpec]) -> dict[str, NodeRuntime]:
        for spec in specs:
            self.kind.check_settings(spec.settings)
            datadir = self.workdir / spec.name
            datadir.mkdir(mode=0o700, parents=True, exist_ok=True)
            launch = Launch(spec.name, tuple((peer, peer) for peer in spec.peers), self.credentials, spec.name,
                            str(datadir), dict(spec.settings), self.secret)
            sim_node = SimNode(self.world, self.kind, launch)
            self.runtimes[spec.name] = SimRuntime(self.kind, sim_node)
        return dict(self.runtimes)

    def close(self) -> None:
        """Each part of the teardown runs even if one before it raised (a livelocked loop raises on
        every run): the trace is closed and the tmpfs data dirs go whatever happened."""
        try:
            kill_all(self.world, [runtime.sim_node for runtime in self.runtimes.values()])
        finally:
            try:
                self.world.close()
            finally:
                if self._own_workdir:
                    shutil.rmtree(self.workdir, ignore_errors=True)
