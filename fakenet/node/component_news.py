"""Component news: a new connection anywhere makes every held stream in the component stale.

A held stream answers a load from its copy while it is fresh (fakenet.node.stream_service): synced
since the freshness count last moved. A node's own new connection moves it; but a heal between two
*other* nodes joins this node's component to writes it missed while its own links stayed up. So a
node that makes a new connection floods a small frame saying so, with an id of its own:

    cn {ids}   the component changed (new connections somewhere): up to BATCH news ids, each
               flooded and deduplicated on its own; {id} (one id) is the same frame as older nodes
               send it, still read, and still what this node sends when it has one id to send

and every node that first sees one or more of a frame's ids moves its freshness count by one (once
per frame, however many of its ids are new), as its own new connection would: every held stream
is stale until its next load syncs it. It forwards only the ids that were new to it. The news
reaches a far node some link delays after the heal, not at once; a load there before it arrives
may still answer from the old copy (the harness's `expect_latest` polls to a deadline for that
reason).

Sending is rate-limited (below), so news often has to wait; waiting news is merged, not renamed.
Ids wait here, in a queue per link they came from (and one for this node's own), and leave in
frames of up to BATCH, taken in turn from each queue, as the rate allows: the same ids, so a node
that has them already drops them and the flood ends by deduplication, however many links and
however long the waits (an earlier version sent news held back as one *fresh* id: every node took
it as new and sent on its own fresh id, and at 64 nodes the network never went quiet again).

Only a queue over HELD ids is folded: the ids that do not fit are dropped, and the node owes the
component one *fresh* id, sent in place of everything it holds (created after all of it was heard,
so every node that takes it as new moves its count after those connections: late news, never lost
news). Folding is the one way news makes new ids, so it is spaced: the first fold of a node may go
out on its next send, each later one waits twice as long as the one before (FOLD_GAP, 2·FOLD_GAP,
…; back to FOLD_GAP after a gap twice as long with no fold). Why the flood still ends: once
connections stop, new ids come only from folds, and every node's folds come at doubling intervals,
so the ids made per second across the network fall without bound while every link keeps carrying
BATCH a second; once they fall below that, no queue overflows, no node folds, and the ids left
flood out and stop by deduplication (each crosses each link at most once each way).

A peer's frame is evidence, not truth, and this one is cheap to forge, so it can cost no more than
a reconnect does: one counter bump per frame, no scan (staleness is compared lazily, per stream, by
its next load). Each frame is held to MAX_BYTES before it is decoded, and checked: one of `id` or
`ids`, at most BATCH ids, each 1-ID_CHARS lowercase hex characters; anything else disconnects the
peer as malformed. Each peer may send RECEIVE_RATE frames a second (a burst of RECEIVE_BURST)
before it is disconnected. So a frame of BATCH fresh ids costs the node what one id did before: one
bump, BATCH lookups in its memory of ids (Bounded), and at most BATCH ids queued on that peer's own
queue, whose overflow is folded (and folds are spaced, above). What a rogue within its budget gets:
every held copy here stale at RECEIVE_RATE bumps a second (as before); its own queue full, which
delays no other link's news (queues are served in turn); and this node's fold gap grown, which
delays only ids that overflowed some queue. Its fresh ids churn the memory of seen ids BATCH times
faster than before: an honest id forgotten and heard again is taken as new and sent on once more
(extra news, not lost news). This node sends at most SEND_RATE frames a second (SEND_BURST at once)
of its own and forwarded news together, below what any peer accepts, so forwarding a rogue's flood
cannot get an honest node cut off, and the nodes beyond it see at most SEND_RATE bumps a second.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from fakenet.node import clock, entropy, logs
from fakenet.node.budget import Bucket, Budgets
from fakenet.node.echo import Bounded
from fakenet.node.stream_frames import FrameRefused

if TYPE_CHECKING:
    from fakenet.node.connection import Connection
    from fakenet.node.stream_service import StreamService
    from fakenet.node.swarm import Swarm


FRAME = "cn"
BATCH = 32  # ids a frame carries at most
ID_CHARS = 32  # an id is at most this many hex characters (this node makes 16)
# {"t":"cn","ids":["<32 hex>",...]} with BATCH ids is 1,138 bytes; unknown fields are not worth carrying
MAX_BYTES = len('{"t":"cn","ids":[]}') + BATCH * (ID_CHARS + 3) - 1
# A heal of k links floods 2k ids across every link at once; honest senders stay under SEND_*,
# and every peer is allowed more than that, so only a peer breaking the rate is disconnected.
# The sustained rates are low on purpose: a peer within its budget can keep every held copy in the
# network stale (each load then syncs, bounded by the stream work budget), so it gets little.
SEND_RATE, SEND_BURST = 1.0, 32.0  # frames
RECEIVE_RATE, RECEIVE_BURST = 2.0, 64.0  # frames
HELD = 256  # ids waiting to be sent per queue (a link's, or this node's own), before it is folded
FOLD_GAP = 1.0  # seconds before a node's first fold (doubling for each later one in a row)
HEX = frozenset("0123456789abcdef")
OWN = None  # the queue of this node's own news


def check(message: dict) -> list[str]:
    """The frame's ids, or FrameRefused (the swarm disconnects the peer as malformed)."""
    if ("id" in message) == ("ids" in message):
        raise FrameRefused(f"{FRAME} carries one of id or ids")
    ids = [message["id"]] if "id" in message else message["ids"]
    if not isinstance(ids, list) or not 0 < len(ids) <= BATCH:
        raise FrameRefused(f"{FRAME}.ids must be a list of 1-{BATCH} ids")
    for news_id in ids:
        if not isinstance(news_id, str) or not 0 < len(news_id) <= ID_CHARS or not HEX.issuperset(news_id):
            raise FrameRefused(f"{FRAME} ids must be 1-{ID_CHARS} lowercase hex characters")
    return ids


def frame(ids: list[str]) -> dict:
    """One id in the form every version reads; more as a batch."""
    return {"t": FRAME, "id": ids[0]} if len(ids) == 1 else {"t": FRAME, "ids": ids}


class ComponentNews:
    """Floods `cn` on each new connection, and counts the news this node has heard (`heard`), which
    the stream service adds to its own connection count to tell fresh copies from stale ones."""

    def __init__(self, swarm: Swarm, service: StreamService):
        self.swarm = swarm
        self.heard = 0  # frames that brought news ids first seen here, from peers
        self.folds = 0  # fresh ids this node made for news that overflowed a queue
        self._log = logs.get()
        self._seen = Bounded()
        self._budgets = Budgets(RECEIVE_RATE, RECEIVE_BURST)
        self._sending = Bucket(SEND_RATE, SEND_BURST)
        self._held: dict[int | None, dict[str, None]] = {}  # queue (link id, or OWN) -> ids, in order
        self._owed = False  # some queue overflowed: a fold is due
        self._fold_gap, self._folded_at = FOLD_GAP, -float("inf")
        self._sender: asyncio.Task | None = None  # sends held news as the rate allows
        self._wake = asyncio.Event()  # set when news is held: a sender waiting for a fold's gap sends it
        own = service.connections
        service.connections = lambda: own() + self.heard
        swarm.handle(FRAME, self._on_news, MAX_BYTES)
        swarm.on_connect.append(self._on_connect)
        swarm.on_disconnect.append(lambda conn: self._budgets.forget(conn.id))

    async def _on_connect(self, conn: Connection) -> None:
        """Our own count moved with the connection (the swarm's); the rest of the component's must."""
        news_id = entropy.token_bytes(8).hex()
        self._seen.remember(news_id)
        await self._flood([news_id], OWN, exclude=None)

    async def _on_news(self, conn: Connection, message: dict) -> None:
        ids = check(message)
        if not self._budgets.take(conn.id, 1):
            self._log.warning("peer_over_budget", peer=conn.name, type=FRAME, rate=RECEIVE_RATE)
            conn.close(f"over its budget of {RECEIVE_RATE:g} {FRAME} frames/s")
            return
        new = [news_id for news_id in dict.fromkeys(ids) if news_id not in self._seen]
        if not new:
            return
        for news_id in new:
            self._seen.remember(news_id)
        self.heard += 1
        await self._flood(new, conn.id, exclude=conn)

    async def _flood(self, ids: list[str], queue: int | None, exclude: Connection | None) -> None:
        """Send `ids` (at most BATCH) now if nothing waits and the rate allows; else queue them."""
        if not self._held and not self._owed and self._sending.take(1):
            await self.swarm.broadcast(frame(ids), exclude=exclude)
            return
        held = self._held.setdefault(queue, {})
        for news_id in ids:
            if len(held) < HELD:
                held[news_id] = None
            else:
                self._owed = True
        self._wake.set()
        if self._sender is None or self._sender.done():
            self._sender = self.swarm.spawn(self._send_held())

    async def _send_held(self) -> None:
        """Held news, a frame at a time as the send rate allows, until none is left."""
        while self._held or self._owed:
            fold_in = self._folded_at + self._fold_gap - clock.monotonic() if self._owed else 0.0
            if not self._held and fold_in > 0:  # only a fold is due, and its gap has not passed
                self._wake.clear()
                with contextlib.suppress(asyncio.TimeoutError):  # news to send ends the wait early
                    await asyncio.wait_for(self._wake.wait(), fold_in)
            elif not self._sending.take(1):
                await asyncio.sleep(1 / SEND_RATE)  # the bucket's refill time: a clock, not a wait for a condition
            else:
                await self.swarm.broadcast(frame(self._next_frame(fold_in <= 0)))

    def _next_frame(self, fold: bool) -> list[str]:
        """With `fold`, one fresh id in place of everything held (made after all of it was heard);
        else up to BATCH held ids, taken in turn from each queue."""
        if fold and self._owed:
            now = clock.monotonic()
            again = now < self._folded_at + 2 * self._fold_gap
            self._fold_gap = self._fold_gap * 2 if again else FOLD_GAP
            self._folded_at, self._owed = now, False
            self._held.clear()
            self.folds += 1
            news_id = entropy.token_bytes(8).hex()
            self._seen.remember(news_id)
            return [news_id]
        ids: list[str] = []
        while self._held and len(ids) < BATCH:
            queue = next(iter(self._held))
            held = self._held.pop(queue)
            ids.append(next(iter(held)))
            del held[ids[-1]]
            if held:
                self._held[queue] = held  # to the back: the next id comes from the next queue
        return ids
