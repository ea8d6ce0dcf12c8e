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
        hashes = self.client(name).mine(blocks)
        self._fleet.model.mined(name, hashes)
        return hashes
