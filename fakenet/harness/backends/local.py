"""The local backend: node processes on their own loopback addresses; links cut by the node's
admin link filter (RPC `setlinkfilter`), since processes share one network namespace."""

from __future__ import annotations

import shutil
import signal
import tempfile
from pathlib import Path

from fakenet.harness import local
from fakenet.harness.api import ApiClient
from fakenet.harness.backends.base import Backend, LinkRules, NodeRuntime, NodeSpec
from fakenet.harness.rpc import RpcClient


class LocalRuntime(NodeRuntime):
    def __init__(self, node: local.LocalNode):
        self.node = node
        self.name = node.name
        self._api = ApiClient(node.api_url, node.name)

    @property
    def rpc(self) -> RpcClient:
        return self.node.rpc

    @property
    def api(self) -> ApiClient:
        return self._api

    def start(self) -> None:
        self.node.start()

    def kill(self) -> None:
        self.node.kill()

    def stop(self) -> None:
        self.node.stop()

    def pause(self) -> None:
        self.node.signal(signal.SIGSTOP)

    def unpause(self) -> None:
        self.node.signal(signal.SIGCONT)

    def logs(self, tail: int = 20) -> list[str]:
        return self.node.logs(tail)

    def read_config(self) -> bytes | None:
        path = self.node.datadir / "config"
        return path.read_bytes() if path.exists() else None

    def write_config(self, data: bytes | None) -> None:
        path = self.node.datadir / "config"
        if data is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(data)

    def set_links(self, rules: LinkRules) -> str:
        self.rpc.setlinkfilter(sorted(rules.blocked), dict(rules.loss), dict(rules.delay))
        return "node link filter (cuts, loss and delay in the node's transport)"


class LocalBackend(Backend):
    name = "local"

    def __init__(self, workdir: Path | None = None, subnet: str | None = None, **_ignored):
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="fakenet-"))
        self.subnet = subnet or local.random_subnet()
        self.runtimes: dict[str, LocalRuntime] = {}

    def create(self, specs: list[NodeSpec]) -> dict[str, NodeRuntime]:
        ips = {spec.name: f"{self.subnet}.{i + 1}" for i, spec in enumerate(specs)}
        for spec in specs:
            args = [a for key, value in spec.settings.items() for a in (f"--{key.lower().replace('_', '-')}", str(value))]
            peers = [f"/ip4/{ips[p]}/tcp/4011" for p in spec.peers]
            node = local.LocalNode(spec.name, ips[spec.name], self.workdir / spec.name, peers, args)
            self.runtimes[spec.name] = LocalRuntime(node)
        return dict(self.runtimes)

    def close(self) -> None:
        for runtime in self.runtimes.values():
            runtime.unpause()
            runtime.kill()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
