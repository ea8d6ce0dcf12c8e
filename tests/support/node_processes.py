"""fakenet node processes started by command line, for the node's own integration tests: they test
the node's flags (--sync-timeout, --no-cluster-api-auth, …) and its files directly, which the
harness (the local backend and the fakenet kind, settings by environment) deliberately does not
expose. Everything else runs nodes through `fakenet.Network(backend="local")`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fakenet.harness.backends.processes import NodeProcess, random_subnet
from fakenet.harness.rpc import RpcClient
from fakenet.harness.waits import wait_for
from fakenet.kinds.fakenet_kind import FakenetKind

PORTS = FakenetKind.ports
SWARM_PORT, IPFS_PORT, RPC_PORT, API_PORT = PORTS["swarm"], PORTS["ipfs"], PORTS["rpc"], PORTS["api"]
RPC_USER, RPC_PASSWORD = "fakenet", "fakenet-local"


class LocalNode(NodeProcess):
    """A fakenet node process on its own loopback address (the node's integration tests use it)."""

    def __init__(self, name: str, ip: str, datadir: Path, peers: list[str], extra_args: list[str] = ()):
        self.ip, self.peers, self.extra_args = ip, list(peers), list(extra_args)
        super().__init__(name, [], {"FAKENET_RPCUSER": RPC_USER, "FAKENET_RPCPASSWORD": RPC_PASSWORD}, datadir,
                         inherit_settings=True)
        self.rpc = RpcClient(f"http://{ip}:{RPC_PORT}/", RPC_USER, RPC_PASSWORD, node=name)

    @property
    def swarm_addr(self) -> str:
        return f"/ip4/{self.ip}/tcp/{SWARM_PORT}"

    @property
    def api_url(self) -> str:
        return f"http://{self.ip}:{API_PORT}"

    @property
    def ipfs_url(self) -> str:
        return f"http://{self.ip}:{IPFS_PORT}"

    def command(self) -> list[str]:
        peers = [arg for peer in self.peers for arg in ("--peer", peer)]
        return [sys.executable, "-m", "fakenet.node.daemon", "--datadir", str(self.datadir), "--name", self.name,
                "--bind", self.ip, *peers, *self.extra_args]

    def start(self) -> None:
        self.argv = self.command()  # peers and arguments may have changed since construction
        super().start()

    def wait_ready(self, timeout: float = 20) -> None:
        wait_for(lambda: self.rpc.getblockcount(), lambda height: height is not None, timeout=timeout,
                 expected=f"{self.name} answers RPC at {self.rpc.url}", logs=self.logs)


def full_mesh(root: Path, count: int, subnet: str | None = None, extra_args: list[str] = ()) -> list[LocalNode]:
    """Create (not start) `count` nodes named node, node2, … that each list every other as a peer."""
    subnet = subnet or random_subnet()
    names = ["node"] + [f"node{i}" for i in range(2, count + 1)]
    ips = [f"{subnet}.{i}" for i in range(1, count + 1)]
    addrs = [f"/ip4/{ip}/tcp/{SWARM_PORT}" for ip in ips]
    return [LocalNode(name, ip, root / name, [a for a in addrs if a != addrs[i]], extra_args)
            for i, (name, ip) in enumerate(zip(names, ips))]
