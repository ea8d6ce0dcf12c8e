"""Stream protocols over the swarm: searched queries, searched commit fetches, update gossip.

    sq {qid, stream}              who holds this stream?       → sr {qid, stream, tip, log}
    bq {qid, cids}                who has these commits?       → br {qid, blocks: {cid: hex}}
    qd {qid, nodes, lost}         my part of search qid is over (fakenet.node.echo)
    qa {qid}                      my part of search qid is still going
    su {gid, stream, tip, blocks} a holder moved to a new tip (flooded to everyone)
    ar {stream, tip}              please anchor this tip (flooded, so any miner includes it)

Queries and fetches are echo searches (fakenet.node.echo): they reach every node connected to
the asker, whatever the diameter and the link delays, answers come back along the path the
request took, and the asker learns when the whole component has been searched. A node that has
what was asked answers and does not forward (a fetch forwards what it could not answer). The
node's sync timeout is the search's `silence`: how long a node waits on a silent neighbour.

Gossip floods with no hop limit and is deduplicated by id: with no budget to run out, the first
copy a node sees is as good as any later one, so dropping later copies loses nothing.
"""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING

from multiformats import CID

from fakenet.node import entropy, logs
from fakenet.node.connection import Connection
from fakenet.node.echo import ALIVE, DONE, LOCAL, Bounded, EchoSearches
from fakenet.node.streams import StreamID, as_cid

if TYPE_CHECKING:
    from fakenet.node.stream_service import StreamService
    from fakenet.node.swarm import Swarm


CAP = 20  # a search this node began is abandoned after CAP x silence, finished or not (a backstop)


@dataclass(frozen=True)
class Searched:
    """How a search this node started ended: the `nodes` it covered (the asker included) and the
    `lost` links it gave up on (silent for `silence`, or closed); nodes is None when the search
    did not end by itself within CAP x silence."""

    nodes: int | None
    lost: int
    silence: float

    @classmethod
    def from_done(cls, message: dict, silence: float) -> Searched:
        return cls(int(message["nodes"]), int(message.get("lost", 0)), silence)

    def describe(self) -> str:
        if self.nodes is None:
            return f"(the search did not end within {CAP * self.silence:g}s)"
        if self.lost:
            return (f"(searched {self.nodes - 1} other nodes connected to it and gave up on {self.lost} "
                    f"link(s) silent for the {self.silence:g}s sync timeout or closed)")
        return f"(searched all {self.nodes - 1} other nodes connected to it)"


def unrelayed(message: dict, relayed: set) -> dict | None:
    """What of an answer has not yet gone up this search's path: a fetch's blocks cross each link
    once; a query needs only its first answer."""
    if "blocks" in message:
        blocks = {cid: data for cid, data in message["blocks"].items() if cid not in relayed}
        relayed.update(blocks)
        return {**message, "blocks": blocks} if blocks else None
    if relayed:
        return None
    relayed.add("answered")
    return message


class StreamNetwork:
    def __init__(self, swarm: Swarm, service: StreamService):
        self.swarm, self.service = swarm, service
        self._log = logs.get()
        self.silence = service.sync_timeout
        self._searches = EchoSearches(unrelayed, self.silence)
        self._ticker: asyncio.Task | None = None
        self._gossip_seen = Bounded()
        self._askers: dict[str, asyncio.Queue] = {}  # qid -> what reaches LOCAL for searches we began
        for message_type, handler in (("sq", self._on_query), ("sr", self._on_answer), ("bq", self._on_fetch),
                                      ("br", self._on_answer), (DONE, self._on_done), (ALIVE, self._on_alive),
                                      ("su", self._on_update),
                                      ("ar", self._on_anchor_request)):
            swarm.handle(message_type, handler)
        swarm.on_connect.append(self._share_anchor_requests)
        swarm.on_disconnect.append(self._on_disconnect)

    # -- asking --------------------------------------------------------------------------------

    async def query(self, stream_id: StreamID) -> tuple[dict | None, Searched]:
        """The first holder's answer {tip, log} (or None), and how the search ended."""
        unfinished = Searched(None, 0, self.silence)
        async with aclosing(self._ask({"t": "sq", "stream": stream_id.encode()})) as messages:
            async for message in messages:
                if message["t"] == DONE:
                    return None, Searched.from_done(message, self.silence)
                return message, unfinished
        return None, unfinished

    async def fetch(self, cids: list[CID]) -> tuple[dict[CID, bytes], Searched]:
        """Commit blocks by CID from whoever has them: what arrived before the search ended."""
        wanted, found = set(cids), {}
        unfinished = Searched(None, 0, self.silence)
        async with aclosing(self._ask({"t": "bq", "cids": [str(c) for c in cids]})) as messages:
            async for message in messages:
                if message["t"] == DONE:
                    return found, Searched.from_done(message, self.silence)
                found.update({cid: bytes.fromhex(data) for cid_text, data in message["blocks"].items()
                              if (cid := as_cid(cid_text)) in wanted})
                if wanted <= found.keys():
                    break
        return found, unfinished

    async def _ask(self, request: dict):
        """Answers as they reach us, then the search's final `done` (or nothing, at the cap)."""
        qid = entropy.token_bytes(8).hex()
        queue = self._askers[qid] = asyncio.Queue()
        try:
            await self._send(self._searches.begin(qid, {**request, "qid": qid}, self._links(), self._now()))
            deadline = self._now() + CAP * self.silence
            while (left := deadline - self._now()) > 0:
                try:
                    message = await asyncio.wait_for(queue.get(), left)
                except asyncio.TimeoutError:
                    return
                yield message
                if message["t"] == DONE:
                    return
        finally:
            del self._askers[qid]
            self._searches.forget(qid)

    # -- taking part in searches -------------------------------------------------------------------

    def _links(self) -> list[Connection]:
        return list(self.swarm.connections.values())

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()

    async def _send(self, sends) -> None:
        # In order: an answer must leave before the `done` that follows it on the same link.
        if self._searches.active() and (self._ticker is None or self._ticker.done()):
            self._ticker = self.swarm.spawn(self._tick())
        for link, message in sends:
            if link == LOCAL:
                if (queue := self._askers.get(str(message["qid"]))) is not None:
                    queue.put_nowait(message)
            else:
                await link.send(message)

    async def _on_query(self, conn: Connection, message: dict) -> None:
        def respond():
            held = self.service.held(StreamID.parse(message["stream"]))
            if held is None:
                return None, message
            return {"t": "sr", "qid": message["qid"], "stream": message["stream"], "tip": str(held.state.tip),
                    "log": [str(entry.cid) for entry in held.state.log]}, None

        await self._send(self._searches.request(str(message["qid"]), conn, self._links(), respond, self._now()))

    async def _on_fetch(self, conn: Connection, message: dict) -> None:
        def respond():
            cids = [as_cid(c) for c in message["cids"]][:10000]
            blocks = self.service.blocks_for(cids)
            answer = {"t": "br", "qid": message["qid"], "blocks": {str(c): d.hex() for c, d in blocks.items()}}
            rest = [str(c) for c in cids if c not in blocks]
            return answer if blocks else None, {**message, "cids": rest} if rest else None

        await self._send(self._searches.request(str(message["qid"]), conn, self._links(), respond, self._now()))

    async def _on_answer(self, conn: Connection, message: dict) -> None:
        await self._send(self._searches.answer(str(message["qid"]), conn, message, self._now()))

    async def _on_done(self, conn: Connection, message: dict) -> None:
        await self._send(self._searches.done(str(message["qid"]), conn, int(message["nodes"]),
                                             int(message.get("lost", 0))))

    async def _on_alive(self, conn: Connection, message: dict) -> None:
        self._searches.alive(str(message["qid"]), conn, self._now())

    async def _tick(self) -> None:
        """While searches are active: give up on silent neighbours, tell parents we are alive."""
        while self._searches.active():
            await asyncio.sleep(self.silence / 4)  # a clock for the searches, not a wait for a condition
            await self._send(self._searches.tick(self._now()))

    def _on_disconnect(self, conn: Connection) -> None:
        # Only `done`s to LOCAL or to other links can result; sending may wait, so in a task.
        sends = self._searches.closed(conn)
        if sends:
            self.swarm.spawn(self._send(sends))

    # -- gossip --------------------------------------------------------------------------------

    def _first_sight(self, key: str) -> bool:
        if key in self._gossip_seen:
            return False
        self._gossip_seen.remember(key)
        return True

    async def publish_update(self, stream_id: StreamID, tip: CID, blocks: dict[CID, bytes]) -> None:
        gid = f"{stream_id.encode()}/{tip}"
        self._gossip_seen.remember(gid)
        await self.swarm.broadcast({"t": "su", "gid": gid, "stream": stream_id.encode(), "tip": str(tip),
                                    "blocks": {str(c): d.hex() for c, d in blocks.items()}})

    async def _on_update(self, conn: Connection, message: dict) -> None:
        if not self._first_sight(str(message["gid"])):
            return
        blocks = {as_cid(c): bytes.fromhex(d) for c, d in message["blocks"].items()}
        self.service.receive_update(StreamID.parse(message["stream"]), as_cid(message["tip"]), blocks, conn.name)
        await self.swarm.broadcast(message, exclude=conn)

    async def publish_anchor_request(self, stream_id: str, tip: str) -> None:
        self._gossip_seen.remember(f"ar/{stream_id}/{tip}")
        await self.swarm.broadcast({"t": "ar", "stream": stream_id, "tip": tip})

    async def _share_anchor_requests(self, conn: Connection) -> None:
        """A peer that was away missed our requests; whoever mines next must know them all."""
        for stream_id, tip in list(self.service.anchors.pending.items()):
            await conn.send({"t": "ar", "stream": stream_id, "tip": tip})

    async def _on_anchor_request(self, conn: Connection, message: dict) -> None:
        if not self._first_sight(f"ar/{message['stream']}/{message['tip']}"):
            return
        self.service.anchors.request(str(message["stream"]), str(message["tip"]))
        await self.swarm.broadcast(message, exclude=conn)
