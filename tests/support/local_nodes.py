"""fakenet nodes for the node's own integration tests, launched as users' nodes are: by the local
backend and the fakenet kind, so every test here also runs `Network(backend="local")`'s Launch,
environment, credentials (random per group) and port roles. A test adds only what the harness
deliberately leaves out:

- topologies it does not build: a line, a ring, a node that dials no one (`nodes(root, dials)`);
- the node's own options outside the kind's settings, as the FAKENET_* variables a container gets
  (`variables={"CLUSTER_API_AUTH": "0"}` is `--no-cluster-api-auth`); None removes one the kind
  sets (the RPC credentials: the node falls back to its cookie, as bitcoind does).

Nodes are created, not started: a test may write into a data dir first (a swarm.key, loose modes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping

from fakenet.harness.backends.base import NodeSpec
from fakenet.harness.backends.local import LocalBackend, LocalRuntime
from fakenet.harness.waits import wait_for
from fakenet.kinds.base import Launch
from fakenet.kinds.fakenet_kind import FakenetKind
from fakenet.kinds.fakenet_settings import swarm_address


class FakenetWithVariables(FakenetKind):
    """The fakenet kind, plus node variables (FAKENET_<NAME>) the harness does not set."""

    def __init__(self, variables: Mapping[str, str | None]):
        self.variables = dict(variables)

    def environment(self, launch: Launch) -> dict[str, str]:
        environment = super().environment(launch)
        for name, value in self.variables.items():
            if value is None:
                environment.pop(f"FAKENET_{name}", None)
            else:
                environment[f"FAKENET_{name}"] = value
        return environment


class LocalNode:
    """One node of a group: the local backend's runtime, and the addresses and files its tests read."""

    def __init__(self, runtime: LocalRuntime, peers: Iterable[str], credentials: tuple[str, str]):
        self.runtime, self.peers, self.credentials = runtime, list(peers), credentials
        self.name, self.ip, self.rpc = runtime.name, runtime.ip, runtime.rpc
        self.datadir = runtime.data_dir()
        self.log_path = runtime.process.log_path

    def url(self, role: str) -> str:
        """Where the node serves a port role of the kind (rpc, api, ipfs, ceramic_one, cluster, swarm)."""
        return self.runtime.url(role)

    @property
    def api_url(self) -> str:
        return self.url("api")

    @property
    def ipfs_url(self) -> str:
        return self.url("ipfs")

    @property
    def swarm_addr(self) -> str:
        """What its peers dial, and the address they pin its identity to."""
        return swarm_address(self.ip)

    @property
    def process(self):
        """The running (or ended) process: its pid, its exit status (a subprocess.Popen, or the fork
        server's ForkedProcess, which answers the same calls)."""
        return self.runtime.process.process

    def __getattr__(self, name: str):
        """start, stop, kill, logs, pause, …: the runtime's own, as the harness calls them."""
        return getattr(self.runtime, name)

    def running(self) -> bool:
        return self.runtime.process.running()

    def close(self) -> None:
        self.runtime.kill()
        self.rpc.close()

    def wait_ready(self, timeout: float = 20) -> None:
        client = self.runtime.kind.client(self.rpc)
        wait_for(client.ready, bool, timeout=timeout, expected=f"{self.name} answers RPC at {self.rpc.url}",
                 logs=self.logs)


def nodes(root: Path, dials: Mapping[str, Iterable[str]], settings: Mapping[str, object] | None = None,
          variables: Mapping[str, str | None] | None = None) -> list[LocalNode]:
    """Create (not start) a node per key of `dials`, in order, each dialling the nodes named there.
    `settings` are the kind's (sync_timeout, cluster_ttl, …), the same for every node of the group."""
    backend = LocalBackend(FakenetWithVariables(variables or {}), workdir=root)
    specs = [NodeSpec(name, tuple(peers), dict(settings or {})) for name, peers in dials.items()]
    runtimes = backend.create(specs)
    return [LocalNode(runtimes[spec.name], spec.peers, backend.credentials) for spec in specs]


def full_mesh(root: Path, count: int, settings: Mapping[str, object] | None = None,
              variables: Mapping[str, str | None] | None = None) -> list[LocalNode]:
    """`count` nodes named node, node2, … that each dial every other."""
    names = ["node"] + [f"node{i}" for i in range(2, count + 1)]
    return nodes(root, {name: [peer for peer in names if peer != name] for name in names}, settings, variables)


def line(root: Path, names: list[str], settings: Mapping[str, object] | None = None) -> list[LocalNode]:
    """Nodes in a line, each dialling both its neighbours."""
    return nodes(root, {name: names[max(i - 1, 0):i] + names[i + 1:i + 2] for i, name in enumerate(names)}, settings)
