"""The local backend: node processes on their own loopback addresses. Processes share one network
namespace, so links can only be steered by the node itself: the kind must have link control."""

from __future__ import annotations

import secrets
import shutil
import signal
import tempfile
from pathlib import Path
from typing import Mapping

from fakenet import bytecode
from fakenet.errors import ConfigError
from fakenet.harness import ended
from fakenet.harness.backends import processes
from fakenet.harness.backends.base import (Backend, DataDirIdentity, LinkRules, NodeRuntime, NodeSpec,
                                           node_filter)
from fakenet.harness.rpc import RpcClient
from fakenet.kinds.base import Launch, NodeKind


class LocalRuntime(DataDirIdentity, NodeRuntime):
    def __init__(self, kind: NodeKind, process: processes.NodeProcess, ip: str, credentials: tuple[str, str]):
        self.kind, self.process, self.ip = kind, process, ip
        self.name = process.name
        self._rpc = RpcClient(self.url("rpc") + kind.rpc_path(), *credentials, node=self.name)

    @property
    def rpc(self) -> RpcClient:
        return self._rpc

    def url(self, role: str) -> str:
        return f"http://{self.ip}:{self.kind.ports[role]}"

    stopped_here = False  # the harness ended the process (a crash or stop step, teardown): not news
    paused_here = False  # the harness stopped it with SIGSTOP (a pause step): not news either

    def start(self) -> None:
        self.stopped_here = self.paused_here = False
        self.process.start()

    def kill(self) -> None:
        self.stopped_here = True
        self.process.kill()

    def stop(self) -> None:
        self.stopped_here = True
        self.process.stop()

    def pause(self) -> None:
        self.paused_here = True
        self.process.signal(signal.SIGSTOP)

    def unpause(self) -> None:
        self.paused_here = False
        self.process.signal(signal.SIGCONT)

    def logs(self, tail: int = 20) -> list[str]:
        return self.process.logs(tail)

    def ended(self):
        process = self.process.process
        code = process.poll() if process is not None and not self.stopped_here else None
        if code is not None:
            return ended.from_returncode(self.name, code, self.kind.outside_exits)
        if process is not None and not self.stopped_here and not self.paused_here and ended.stopped(process.pid):
            return ended.Ending(self.name, "is stopped (SIGSTOP or SIGTSTP: frozen, not ended)", True)
        return None

    def data_dir(self) -> Path:
        return self.process.datadir

    def set_links(self, rules: LinkRules, identities: Mapping[str, str]) -> str:
        return node_filter(self, rules, identities)


class LocalBackend(Backend):
    name = "local"

    def __init__(self, kind: NodeKind, workdir: Path | None = None, subnet: str | None = None, preload: bool = True):
        """`preload`: fork nodes from a server that has imported them, when the kind offers it
        (forkserver.py; FAKENET_FORKSERVER=0 turns it off for everyone); off, every start is a
        fresh process, as a container's is."""
        if not kind.link_control:
            raise ConfigError(f"node kind {kind.name!r} cannot filter its own links, and local processes share "
                              f"one network namespace: use the docker backend")
        self.kind = kind
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="fakenet-"))
        self.subnet = subnet or processes.random_subnet()
        self.credentials = ("fakenet", secrets.token_hex(12))
        self.secret = secrets.token_hex(32)
        self.runtimes: dict[str, LocalRuntime] = {}
        self.preload = preload

    def create(self, specs: list[NodeSpec]) -> dict[str, NodeRuntime]:
        bytecode.ensure_node()  # else, with PYTHONDONTWRITEBYTECODE, every node compiles itself at every start
        ips = {spec.name: f"{self.subnet}.{i + 1}" for i, spec in enumerate(specs)}
        for spec in specs:
            datadir = self.workdir / spec.name
            launch = Launch(spec.name, tuple((p, ips[p]) for p in spec.peers), self.credentials, ips[spec.name],
                            str(datadir), dict(spec.settings), self.secret)
            process = processes.NodeProcess(spec.name, self.kind.local_command(launch), self.kind.environment(launch),
                                            datadir, self.kind.local_preloaded(launch) if self.preload else None)
            self.runtimes[spec.name] = LocalRuntime(self.kind, process, ips[spec.name], self.credentials)
        return dict(self.runtimes)

    def close(self) -> None:
        for runtime in self.runtimes.values():
            runtime.unpause()
            runtime.kill()
            runtime.rpc.close()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
