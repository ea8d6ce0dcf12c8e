"""Stream protocols over the swarm: flooded queries, hop-by-hop commit fetches, update gossip.

    sq {qid, stream, hops}       who holds this stream?      → sr {qid, stream, tip, log}
    bq {qid, cids, hops}         who has these commits?      → br {qid, blocks: {cid: hex}}
    su {gid, stream, tip, blocks} a holder moved to a new tip (flooded to everyone)
    ar {stream, tip}             please anchor this tip (flooded, so any miner includes it)

Requests flood outwards with a hop limit and are deduplicated by id; every node remembers
which connection a request came from, so answers travel back along the same path, one hop at
a time. A node that has what was asked answers and does not forward.
"""

from __future__ import annotations

import asyncio
import os
from collections import OrderedDict
from contextlib import aclosing
from typing import TYPE_CHECKING

from multiformats import CID

from fakenet.node import logs
from fakenet.node.connection import Connection
from fakenet.node.streams import StreamID, as_cid

if TYPE_CHECKING:
    from fakenet.node.stream_service import StreamService
    from fakenet.node.swarm import Swarm

HOPS = 8
MEMORY = 20000  # request ids and routes remembered


class _Bounded(OrderedDict):
    """A dict that forgets its oldest entries past MEMORY: dedup and routes must not grow forever."""

    def remember(self, key, value=True) -> None:
        self[key] = value
        while len(self) > MEMORY:
            self.popitem(last=False)


class StreamNetwork:
    def __init__(self, swarm: Swarm, service: StreamService):
        self.swarm, self.service = swarm, service
        self._log = logs.get()
        self._seen = _Bounded()
        self._routes = _Bounded()  # qid -> the connection to send answers back to
        self._answers: dict[str, asyncio.Queue] = {}  # qid -> answers for requests we started
        for message_type, handler in (("sq", self._on_query), ("sr", self._on_answer), ("bq", self._on_fetch),
                                      ("br", self._on_answer), ("su", self._on_update), ("ar", self._on_anchor_request)):
            swarm.handle(message_type, handler)
        swarm.on_connect.append(self._share_anchor_requests)

    # -- asking --------------------------------------------------------------------------------

    async def query(self, stream_id: StreamID, timeout: float) -> dict | None:
        """The first holder's answer {tip, log}, or None when nobody answers in time."""
        async with aclosing(self._ask({"t": "sq", "stream": stream_id.encode()}, timeout)) as answers:
            async for answer in answers:
                return answer
        return None

    async def fetch(self, cids: list[CID], timeout: float) -> dict[CID, bytes]:
        """Commit blocks by CID from whoever has them; returns what arrived before the deadline."""
        wanted, found = set(cids), {}
        async with aclosing(self._ask({"t": "bq", "cids": [str(c) for c in cids]}, timeout)) as answers:
            async for answer in answers:
                found.update({cid: bytes.fromhex(data) for cid_text, data in answer["blocks"].items()
                              if (cid := as_cid(cid_text)) in wanted})
                if wanted <= found.keys():
                    break
        return found

    async def _ask(self, request: dict, timeout: float):
        qid = os.urandom(8).hex()
        self._seen.remember(qid)
        queue = self._answers[qid] = asyncio.Queue()
        try:
            await self.swarm.broadcast({**request, "qid": qid, "hops": HOPS})
            deadline = asyncio.get_running_loop().time() + timeout
            while (left := deadline - asyncio.get_running_loop().time()) > 0:
                try:
                    yield await asyncio.wait_for(queue.get(), left)
                except asyncio.TimeoutError:
                    return
        finally:
            del self._answers[qid]

    # -- answering and forwarding ------------------------------------------------------------------

    def _first_sight(self, key: str, conn: Connection) -> bool:
        if key in self._seen:
            return False
        self._seen.remember(key)
        self._routes.remember(key, conn)
        return True

    async def _forward(self, message: dict, source: Connection) -> None:
        if message.get("hops", 0) > 1:
            await self.swarm.broadcast({**message, "hops": message["hops"] - 1}, exclude=source)

    async def _on_query(self, conn: Connection, message: dict) -> None:
        qid = str(message["qid"])
        if not self._first_sight(qid, conn):
            return
        held = self.service.held(StreamID.parse(message["stream"]))
        if held is None:
            await self._forward(message, conn)
            return
        await conn.send({"t": "sr", "qid": qid, "stream": message["stream"], "tip": str(held.state.tip),
                         "log": [str(entry.cid) for entry in held.state.log]})

    async def _on_fetch(self, conn: Connection, message: dict) -> None:
        qid = str(message["qid"])
        if not self._first_sight(qid, conn):
            return
        cids = [as_cid(c) for c in message["cids"]][:10000]
        blocks = self.service.blocks_for(cids)
        if blocks:
            await conn.send({"t": "br", "qid": qid, "blocks": {str(c): d.hex() for c, d in blocks.items()}})
        if len(blocks) < len(cids):
            await self._forward({**message, "cids": [str(c) for c in cids if c not in blocks]}, conn)

    async def _on_answer(self, conn: Connection, message: dict) -> None:
        qid = str(message["qid"])
        if qid in self._answers:
            self._answers[qid].put_nowait(message)
        elif isinstance(route := self._routes.get(qid), Connection):
            await route.send(message)  # one hop back towards whoever asked

    # -- gossip --------------------------------------------------------------------------------

    async def publish_update(self, stream_id: StreamID, tip: CID, blocks: dict[CID, bytes]) -> None:
        gid = f"{stream_id.encode()}/{tip}"
        self._seen.remember(gid)
        await self.swarm.broadcast({"t": "su", "gid": gid, "stream": stream_id.encode(), "tip": str(tip),
                                    "blocks": {str(c): d.hex() for c, d in blocks.items()}, "hops": HOPS})

    async def _on_update(self, conn: Connection, message: dict) -> None:
        if not self._first_sight(str(message["gid"]), conn):
            return
        blocks = {as_cid(c): bytes.fromhex(d) for c, d in message["blocks"].items()}
        self.service.receive_update(StreamID.parse(message["stream"]), as_cid(message["tip"]), blocks, conn.name)
        await self._forward(message, conn)

    async def publish_anchor_request(self, stream_id: str, tip: str) -> None:
        self._seen.remember(f"ar/{stream_id}/{tip}")
        await self.swarm.broadcast({"t": "ar", "stream": stream_id, "tip": tip, "hops": HOPS})

    async def _share_anchor_requests(self, conn: Connection) -> None:
        """A peer that was away missed our requests; whoever mines next must know them all."""
        for stream_id, tip in list(self.service.anchors.pending.items()):
            await conn.send({"t": "ar", "stream": stream_id, "tip": tip, "hops": HOPS})

    async def _on_anchor_request(self, conn: Connection, message: dict) -> None:
        if not self._first_sight(f"ar/{message['stream']}/{message['tip']}", conn):
            return
        self.service.anchors.request(str(message["stream"]), str(message["tip"]))
        await self._forward(message, conn)
