"""Block gossip and catch-up sync over the swarm.

On connect both ends announce their tip; the one behind asks for blocks after its locator,
500 at a time. New tips are relayed as whole blocks (they are tiny); a block whose parent is
unknown triggers a locator request to the peer that sent it, which also resolves forks.

Bitcoin trusts TCP to deliver every block. fakenet's link filter can drop whole frames (`loss`),
so a lost last block would leave a peer behind until the next block; hence every node also
re-announces its tip every TIP_INTERVAL seconds, and a peer behind catches up.

Only to peers not known to hold it: a peer's last `tip` frame says what it holds. A re-announced
tip is marked `again`, and a peer that holds it as its own tip answers with a plain `tip` (never
answered in turn; both ends announce on connect, so those need no answer), so an idle network,
every tip equal, sends no tip frames at all (they were a tenth of an idle node's frames). A peer
whose last word is another tip, or none, is told every interval as before.
"""

from __future__ import annotations

import asyncio
import weakref

from fakenet.node import logs
from fakenet.node.chain import AddResult, Chain
from fakenet.node.connection import Connection, send_all
from fakenet.node.swarm import Swarm

BATCH = 500
TIP_INTERVAL = 2.0  # seconds between re-announcements: one small frame per link, beside 1 s pings


class ChainSync:
    def __init__(self, chain: Chain, swarm: Swarm):
        self.chain, self.swarm = chain, swarm
        self._log = logs.get()
        # What each link's peer last said its tip was; forgotten with the connection.
        self._peer_tips: weakref.WeakKeyDictionary[Connection, str] = weakref.WeakKeyDictionary()
        for message_type, handler in (("tip", self._on_tip), ("getblocks", self._on_getblocks),
                                      ("blocks", self._on_blocks), ("block", self._on_block)):
            swarm.handle(message_type, handler)
        swarm.on_connect.append(self._announce_tip)

    async def submit(self, raw: bytes, source: Connection | None = None) -> AddResult:
        """Add a block from anywhere (miner, RPC, peer) and relay it if it moved our tip."""
        tip_before = self.chain.tip().hash
        result = self.chain.add_block(raw)
        if result.status == "accepted":
            self._log.info("block_accepted", hash=result.block_hash, height=self.chain.height(),
                           tip=result.became_tip, source=source.name if source else "local")
        elif result.status == "invalid":
            self._log.warning("block_rejected", reason=result.reason, source=source.name if source else "local")
        tip = self.chain.tip().hash
        if tip != tip_before:  # relay the new tip (which may be a connected orphan, not `raw`)
            await self.swarm.broadcast({"t": "block", "raw": self.chain.get_raw_block(tip).hex()}, exclude=source)
        return result

    def _tip_message(self) -> dict:
        tip = self.chain.tip()
        return {"t": "tip", "hash": tip.hash, "height": tip.height, "work": hex(tip.chainwork)}

    async def _announce_tip(self, conn: Connection) -> None:
        await conn.send(self._tip_message())

    async def reannounce(self, interval: float = TIP_INTERVAL) -> None:
        """Tell every peer our tip again every `interval` seconds (see the module's docstring)."""
        while True:
            await asyncio.sleep(interval)  # a period, not a wait for a condition
            await self.reannounce_once()

    async def reannounce_once(self) -> list[Connection]:
        """One period's re-announcement, to the peers not known to hold our tip; those peers."""
        tip = self.chain.tip().hash
        behind = [conn for conn in self.swarm.connections.values() if self._peer_tips.get(conn) != tip]
        await send_all(behind, {**self._tip_message(), "again": True})
        return behind

    async def _request_blocks(self, conn: Connection) -> None:
        await conn.send({"t": "getblocks", "locator": self.chain.locator()})

    async def _on_tip(self, conn: Connection, message: dict) -> None:
        self._peer_tips[conn] = str(message["hash"])
        if int(message["work"], 16) > self.chain.tip().chainwork and self.chain.get_index(message["hash"]) is None:
            await self._request_blocks(conn)
        elif message.get("again") and message["hash"] == self.chain.tip().hash:
            await self._announce_tip(conn)  # it does not know we hold it: this ends its re-announcing

    async def _on_getblocks(self, conn: Connection, message: dict) -> None:
        locator = [str(h) for h in message["locator"]][:64]
        blocks = self.chain.blocks_after(locator, BATCH)
        await conn.send({"t": "blocks", "blocks": [raw.hex() for raw in blocks], "more": len(blocks) == BATCH})

    async def _on_blocks(self, conn: Connection, message: dict) -> None:
        results = [await self.submit(bytes.fromhex(raw), source=conn) for raw in message["blocks"]]
        if message.get("more") or any(r.status == "orphan" for r in results):
            await self._request_blocks(conn)

    async def _on_block(self, conn: Connection, message: dict) -> None:
        result = await self.submit(bytes.fromhex(message["raw"]), source=conn)
        if result.status == "orphan":
            await self._request_blocks(conn)
