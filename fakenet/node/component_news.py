"""Component news: a new connection anywhere makes every held stream in the component stale.

A held stream answers a load from its copy while it is fresh (fakenet.node.stream_service): synced
since the freshness count last moved. A node's own new connection moves it; but a heal between two
*other* nodes joins this node's component to writes it missed while its own links stayed up. So a
node that makes a new connection floods a small frame saying so:

    cn {id}    the component changed (a new connection somewhere): flooded, deduplicated by id

and every node that first sees an id moves its freshness count by one, as its own new connection
would: every held stream is stale until its next load syncs it. The news reaches a far node some
link delays after the heal, not at once; a load there before it arrives may still answer from
the old copy (the harness's `expect_latest` polls to a deadline for that reason).

A peer's frame is evidence, not truth, and this one is cheap to forge, so it can cost no more than
a reconnect does: one counter bump, no scan (staleness is compared lazily, per stream, by its next
load). Each frame is held to MAX_BYTES before it is decoded and checked for its one field; each
peer may send RECEIVE_RATE of them a second (a burst of RECEIVE_BURST) before it is disconnected.
This node sends at most SEND_RATE a second (SEND_BURST at once) of its own and forwarded news
together, below what any peer accepts, so forwarding a rogue's flood cannot get an honest node cut
off: news beyond that is coalesced into one fresh id sent when the rate allows (late news, never
lost news).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from fakenet.node import entropy, logs
from fakenet.node.budget import Bucket, Budgets
from fakenet.node.echo import Bounded
from fakenet.node.stream_frames import FrameRefused

if TYPE_CHECKING:
    from fakenet.node.connection import Connection
    from fakenet.node.stream_service import StreamService
    from fakenet.node.swarm import Swarm


FRAME = "cn"
ID_CHARS = 32  # an id is at most this many hex characters (this node sends 16)
MAX_BYTES = 64  # {"t":"cn","id":"<32 hex>"} is 45 bytes; unknown fields are not worth carrying
# A heal of k links floods 2k ids across every link at once; honest senders stay under SEND_*,
# and every peer is allowed more than that, so only a peer breaking the rate is disconnected.
# The sustained rates are low on purpose: a peer within its budget can keep every held copy in the
# network stale (each load then syncs, bounded by the stream work budget), so it gets little.
SEND_RATE, SEND_BURST = 1.0, 32.0
RECEIVE_RATE, RECEIVE_BURST = 2.0, 64.0
HEX = frozenset("0123456789abcdef")


def check(message: dict) -> str:
    """The frame's id, or FrameRefused (the swarm disconnects the peer as malformed)."""
    news_id = message.get("id")
    if not isinstance(news_id, str) or not 0 < len(news_id) <= ID_CHARS or not HEX.issuperset(news_id):
        raise FrameRefused(f"{FRAME}.id must be 1-{ID_CHARS} lowercase hex characters")
    return news_id


class ComponentNews:
    """Floods `cn` on each new connection, and counts the news this node has heard (`heard`), which
    the stream service adds to its own connection count to tell fresh copies from stale ones."""

    def __init__(self, swarm: Swarm, service: StreamService):
        self.swarm = swarm
        self.heard = 0  # distinct news ids first seen here, from peers
        self._log = logs.get()
        self._seen = Bounded()
        self._budgets = Budgets(RECEIVE_RATE, RECEIVE_BURST)
        self._sending = Bucket(SEND_RATE, SEND_BURST)
        self._coalesced: asyncio.Task | None = None  # one pending send of news the rate held back
        own = service.connections
        service.connections = lambda: own() + self.heard
        swarm.handle(FRAME, self._on_news, MAX_BYTES)
        swarm.on_connect.append(self._on_connect)
        swarm.on_disconnect.append(lambda conn: self._budgets.forget(conn.id))

    async def _on_connect(self, conn: Connection) -> None:
        """Our own count moved with the connection (the swarm's); the rest of the component's must."""
        await self._flood(entropy.token_bytes(8).hex(), exclude=None)

    async def _on_news(self, conn: Connection, message: dict) -> None:
        news_id = check(message)
        if not self._budgets.take(conn.id, 1):
            self._log.warning("peer_over_budget", peer=conn.name, type=FRAME, rate=RECEIVE_RATE)
            conn.close(f"over its budget of {RECEIVE_RATE:g} {FRAME} frames/s")
            return
        if news_id in self._seen:
            return
        self._seen.remember(news_id)
        self.heard += 1
        await self._flood(news_id, exclude=conn)

    async def _flood(self, news_id: str, exclude: Connection | None) -> None:
        self._seen.remember(news_id)
        if self._sending.take(1):
            await self.swarm.broadcast({"t": FRAME, "id": news_id}, exclude=exclude)
        elif self._coalesced is None or self._coalesced.done():
            self._coalesced = self.swarm.spawn(self._send_later())

    async def _send_later(self) -> None:
        """News held back by the send rate, as one fresh id to every link once the rate allows:
        every node it reaches moves its count again, which is all the held-back ids would do."""
        while True:
            await asyncio.sleep(1 / SEND_RATE)  # the bucket's refill time: a clock, not a wait for a condition
            if self._sending.take(1):
                break
        news_id = entropy.token_bytes(8).hex()
        self._seen.remember(news_id)
        await self.swarm.broadcast({"t": FRAME, "id": news_id})
