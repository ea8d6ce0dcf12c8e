"""The two systems compared, each a pair of connected regtest nodes (a peer is needed for
getpeerinfo, and Litecoin Core serves templates only to a node that has one).

Both offer the same surface: endpoints `a` and `b`, the address and proof-of-work hash blocks
need, `cli -getinfo`, and waiting for `b` to follow `a`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fakenet import kinds
from fakenet.fidelity import litecoind
from fakenet.fidelity.endpoint import Endpoint
from fakenet.harness.backends import NodeSpec
from fakenet.harness.backends.local import LocalBackend
from fakenet.harness.waits import wait_for


class Target:
    kind: str
    pow: str
    address: str
    other_address: str  # for a rival branch: the same address could rebuild the very same block
    a: Endpoint
    b: Endpoint

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def cli_run(self, *args: str) -> subprocess.CompletedProcess:
        """The kind's own command-line client (bitcoin-cli's conventions) against node a."""
        raise NotImplementedError

    def cli_getinfo(self) -> dict:
        return _json_output(self.cli_run("-getinfo"))

    def wait_synced(self, timeout: float = 30) -> None:
        wait_for(lambda: (self.a.call("getbestblockhash"), self.b.call("getbestblockhash")),
                 lambda tips: tips[0] == tips[1], timeout=timeout, expected=f"{self.kind}: b follows a's tip")

    def __enter__(self) -> "Target":
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


class FakenetTarget(Target):
    kind, pow = "fakenet", "sha256d"
    address = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"  # BIP173 test program, regtest prefix
    other_address = "bcrt1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqdku202"  # an all-zero program

    def __init__(self, root: Path):
        """Two nodes as the harness's local backend runs them (the fakenet kind's own launch)."""
        self.backend = LocalBackend(kinds.get("fakenet"), workdir=root)
        self.nodes = list(self.backend.create([NodeSpec("node", ("node2",)), NodeSpec("node2", ("node",))]).values())
        self.a, self.b = (Endpoint(node.rpc.url, *self.backend.credentials, node.name) for node in self.nodes)

    def start(self) -> None:
        for node in self.nodes:
            node.start()
        for node in self.nodes:
            wait_for(node.client.ready, bool, timeout=30, expected=f"{node.name} answers RPC", logs=node.logs)
        wait_for(lambda: self.a.call("getconnectioncount"), lambda n: n >= 1, timeout=30,
                 expected="the two fakenet nodes connected", logs=self.nodes[0].logs)

    def stop(self) -> None:
        self.backend.close()

    def cli_run(self, *args: str) -> subprocess.CompletedProcess:
        node, (user, password) = self.nodes[0], self.backend.credentials
        env = {**os.environ, "FAKENET_RPCCONNECT": node.ip, "FAKENET_RPC_PORT": str(node.kind.ports["rpc"]),
               "FAKENET_RPCUSER": user, "FAKENET_RPCPASSWORD": password}
        return _run([sys.executable, "-m", "fakenet.node.cli", *args], env)


class LitecoinTarget(Target):
    kind, pow, address = "litecoin", "scrypt", litecoind.ADDRESS
    other_address = "rltc1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnmxrc5"

    def __init__(self, root: Path):
        self.first = litecoind.LitecoinNode(root / "ltc-a")
        self.second = litecoind.LitecoinNode(root / "ltc-b", connect=self.first)
        self.a, self.b = self.first.endpoint, self.second.endpoint

    def start(self) -> None:
        self.first.start()
        self.second.start()
        self.first.wait_peers(1)

    def stop(self) -> None:
        self.second.stop()
        self.first.stop()

    def cli_run(self, *args: str) -> subprocess.CompletedProcess:
        return _run(self.first.cli_command(*args), dict(os.environ))


def _run(command: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def _json_output(done: subprocess.CompletedProcess) -> dict:
    if done.returncode != 0:
        return {"exit_code": done.returncode, "stderr": done.stderr.strip()}
    return json.loads(done.stdout)
