"""`net.chain` (kinds with the chain capability): mine on a node; the model extends that node's
branch and its component follows. The checks (expect_tip, expect_reorg, expect_converged) are
the oracle's."""

from __future__ import annotations

from fakenet.harness.fleet import Fleet
from fakenet.kinds.base import ChainClient


class Chain:
    def __init__(self, fleet: Fleet):
        self._fleet = fleet

    def client(self, name: str) -> ChainClient:
        self._fleet.requires("chain")
        return self._fleet.runtime(name).client

    def mine(self, name: str, blocks: int = 1) -> list[str]:
        client = self.client(name)
        self._fleet.model.chain.check_can_mine(name)  # before mining: a block the model cannot place must not exist
        hashes = client.mine(blocks)
        self._fleet.model.mined(name, hashes)
        self._fleet.timeline.record("mine", f"{blocks} on {name}")
        return hashes
