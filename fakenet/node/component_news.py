"""Component news: a new connection anywhere makes every held stream in the component stale.

A held stream answers a load from its copy while it is fresh (fakenet.node.stream_service): synced
since the freshness count last moved. A node's own new connection moves it; but a heal between two
*other* nodes joins this node's component to writes it missed while its own links stayed up. So a
node that makes a new connection floods a small frame saying so:

    cn {ids}   news of new connections: 1-BATCH ids, each flooded and deduplicated on its own
    cn {id}    the same with one id: the form older nodes send and read, and what this node sends
               when it has one id to send

An id this node makes is *stamped*: the wall-clock milliseconds it was made at (12 hex characters)
and 16 random ones. Every node that first sees one or more of a frame's ids moves its freshness
count by one (once per frame, however many of its ids are new), as its own new connection would:
every held stream is stale until its next load syncs it. It forwards only the ids that were new to
it. The news reaches a far node some link delays after the heal, not at once; a load there before
it arrives may still answer from the old copy (the harness's `expect_latest` polls to a deadline
for that reason).

Why the flood ends. Sending is rate-limited (below), so news often waits; an earlier version sent
news held back as one *fresh* id, which every node took as new and sent on under a fresh id of its
own: at 64 nodes the network never went quiet again. News that waits now keeps its ids: it waits in
a queue per link it came from (and one for this node's own) and leaves in frames of up to BATCH,
the newest of each queue first, the queues in turn, as the rate allows; a node that has an id
already drops it. Ids are made only by connections and by folds (below), so once connections
stop the flood ends by deduplication, and time makes it end sooner: news made at t is *covered* at
a node that counted news made at t + SKEW or later (its count moved after t + SKEW, so after the
connection at t, if node clocks agree within SKEW, which one host's clock and NTP across hosts
give), and so is neither counted nor forwarded there, while the nodes beyond it got, or get, the
newer news from it. A node forgets an id once it is covered, so it remembers only the last SKEW of
news (RECENT at most).

Folds. A node that lags (more than a frame of news waits, or a queue overflowed HELD and its
overflow was dropped) sends, at its fold time, one fresh id in place of everything waiting, and
counts it itself: made after all of that was heard (late news, never lost news) and SKEW or more
after it, so at every node the fresh id reaches, everything that waited here is covered. The fold
time is SKEW plus a random part of FOLD_SPREAD after the node began to lag: the first fold of a
start-up storm covers the same news waiting at the nodes it reaches before they fold it themselves.
A node's folds in a row are spaced by doubling gaps (FOLD_GAP, 2·FOLD_GAP, ...), so the fresh ids
the network makes per second fall without bound while every link keeps carrying BATCH a second;
once no node lags, no node folds, and what is left floods out and stops.

A peer's frame is evidence, not truth, and this one is cheap to forge, so it can cost no more than
a reconnect does: one counter bump per frame, no scan (staleness is compared lazily, per stream, by
its next load). Each frame is held to MAX_BYTES before it is decoded, then checked: one of `id` or
`ids`, 1-BATCH ids, each 1-ID_CHARS lowercase hex characters; anything else disconnects the
peer as malformed. A stamp counts here as no later than this node's clock when it is counted, so
a stamp in the future (a rogue's, or a host whose clock runs ahead) covers nothing made since; it
is not refused, since cutting off a host for its clock would split a multi-host network. A host
whose clock runs *behind* by more than SKEW is the case this cannot see: its news may be taken as
covered where it is not (late copies stay fresh until the next news), so hosts need NTP. Unstamped ids (older nodes') are taken as made on arrival and remembered as
before stamps (Bounded). Each peer may send RECEIVE_RATE frames a second (a burst of RECEIVE_BURST)
before it is disconnected. So a frame of BATCH fresh ids costs a node what one id did before: one
bump, BATCH lookups, and BATCH ids at most on that peer's own queue, whose overflow is folded (and
folds are spaced). What a rogue within its budget gets: every held copy here stale RECEIVE_RATE
times a second (as before); its own queue full, which holds back no other link's news (queues take
turns); this node's fold gap grown, which delays only news that overflowed a queue; ids stamped
in the past, which are covered and cost a lookup. This node sends at most SEND_RATE frames a second
(SEND_BURST at once) of its own and forwarded news together, below what any peer accepts, so
forwarding a rogue's flood cannot get an honest node cut off, and the nodes beyond it see at most
SEND_RATE bumps a second from it.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import OrderedDict
from typing import TYPE_CHECKING

from fakenet.node import clock, entropy, logs
from fakenet.node.budget import Bucket, Budgets
from fakenet.node.echo import Bounded
# The frame's type, size and id limits live with the other stream frames' limits, so the swarm sets
# them before it meshes (layer_limits.py) without importing this module: its imports (budget, echo)
# are ~2 ms of a node's start, and this runs only once the stream layer is built.
from fakenet.node.stream_frames import FrameRefused
from fakenet.node.stream_frames import NEWS_BATCH as BATCH, NEWS_FRAME as FRAME, NEWS_ID_CHARS as ID_CHARS
from fakenet.node.stream_frames import NEWS_MAX_BYTES as MAX_BYTES

if TYPE_CHECKING:
    from fakenet.node.connection import Connection
    from fakenet.node.stream_service import StreamService
    from fakenet.node.swarm import Swarm


STAMP_CHARS = 12  # a stamped id: milliseconds of the wall clock, in 12 hex characters, then 16 random ones
STAMPED = STAMP_CHARS + 16
SKEW = 0.25  # seconds node clocks may disagree by (one host's clock, or NTP across hosts)
# A heal of k links floods 2k ids across every link, SEND_BURST frames of BATCH at once and the rest
# as the rate allows; honest senders stay under SEND_*, and every peer is allowed more than that,
# so only a peer breaking the rate is disconnected. A small burst makes a start-up storm fold sooner:
# at 1,000 sim nodes, 8 frames sent 248k ids after the mesh against 369k at 32 and 368k at 4.
# The sustained rates are low on purpose: a peer within its budget can keep every held copy in the
# network stale (each load then syncs, bounded by the stream work budget), so it gets little.
SEND_RATE, SEND_BURST = 1.0, 8.0  # frames
RECEIVE_RATE, RECEIVE_BURST = 2.0, 64.0  # frames
HELD = 256  # ids waiting to be sent per queue (a link's, or this node's own), before it is folded
FOLD_SPREAD = 4.0  # seconds: news waiting SKEW is folded within this much more, at random
FOLD_GAP = 1.0  # seconds from a node's fold to its next (doubling for each later one in a row)
RECENT = 20000  # stamped ids remembered at most (those within SKEW of the newest; more only under a flood)
_IDS = re.compile(f"[0-9a-f]{{1,{ID_CHARS}}}(?:,[0-9a-f]{{1,{ID_CHARS}}})*")  # check(): ids joined by commas
OWN = None  # the queue of this node's own news


def check(message: dict) -> list[str]:
    """The frame's ids, or FrameRefused (the swarm disconnects the peer as malformed). A stamp in the
    future is not refused: a host whose clock runs ahead is no rogue, and what a stamp may cover is
    bounded by this node's own clock when it is counted (`_count`), so it covers nothing made since."""
    if ("id" in message) == ("ids" in message):
        raise FrameRefused(f"{FRAME} carries one of id or ids")
    ids = [message["id"]] if "id" in message else message["ids"]
    if not isinstance(ids, list) or not 0 < len(ids) <= BATCH:
        raise FrameRefused(f"{FRAME}.ids must be a list of 1-{BATCH} ids")
    # Every id at once, not three checks per id (a frame has up to BATCH, and a flood at a thousand
    # nodes checks millions): the ids joined by commas match, and no id brought a comma of its own.
    try:
        joined = ",".join(ids)
    except TypeError:  # an id that is not a string
        joined = None
    if joined is None or not _IDS.fullmatch(joined) or joined.count(",") != len(ids) - 1:
        raise FrameRefused(f"{FRAME} ids must be 1-{ID_CHARS} lowercase hex characters")
    return ids


def stamp_of(news_id: str) -> float | None:
    """When the news was made (wall-clock seconds), or None for an id of an older node (unstamped)."""
    return int(news_id[:STAMP_CHARS], 16) / 1000 if len(news_id) == STAMPED else None


def new_id(now: float) -> str:
    return f"{round(now * 1000):0{STAMP_CHARS}x}{entropy.token_bytes(8).hex()}"


def frame(ids: list[str]) -> dict:
    """One id in the form every version reads; more as a batch."""
    return {"t": FRAME, "id": ids[0]} if len(ids) == 1 else {"t": FRAME, "ids": ids}


class ComponentNews:
    """Floods `cn` on each new connection, and counts the news this node has heard (`heard`), which
    the stream service adds to its own connection count to tell fresh copies from stale ones."""

    def __init__(self, swarm: Swarm, service: StreamService):
        self.swarm = swarm
        self.heard = 0  # frames that brought news first seen here, from peers, and folds made here
        self.folds = 0  # fresh ids this node made in place of news it lagged on
        self.newest = -float("inf")  # the latest stamp counted here (never later than the clock then)
        self._log = logs.get()
        self._recent: OrderedDict[str, float] = OrderedDict()  # stamped ids not yet covered -> stamp
        self._legacy = Bounded()  # unstamped ids (older nodes'), remembered as before stamps
        self._budgets = Budgets(RECEIVE_RATE, RECEIVE_BURST)
        self._sending = Bucket(SEND_RATE, SEND_BURST)
        self._held: dict[int | None, dict[str, float | None]] = {}  # queue (link id, or OWN) -> id -> stamp
        self._owed: float | None = None  # the newest stamp of news dropped from a full queue: a fold owes it
        self._fold_at: float | None = None  # when what waits is folded
        self._fold_gap, self._folded_at = FOLD_GAP, -float("inf")
        self._dropped_to = self.newest  # `newest` when held ids were last dropped as covered
        self._sender: asyncio.Task | None = None  # sends held news as the rate allows
        self._wake = asyncio.Event()  # set when news is held: a sender waiting for a fold's gap sends it
        own = service.connections
        service.connections = lambda: own() + self.heard
        swarm.handle(FRAME, self._on_news, MAX_BYTES)
        swarm.on_connect.append(self._on_connect)
        swarm.on_disconnect.append(lambda conn: self._budgets.forget(conn.id))

    def covered(self, stamp: float | None) -> bool:
        """News made at `stamp` needs no count here and no forwarding from here: this node counted news
        made SKEW or more later, after that news was made (and it went on from here)."""
        return stamp is not None and stamp <= self.newest - SKEW

    async def _on_connect(self, conn: Connection) -> None:
        """Our own count moved with the connection (the swarm's); the rest of the component's must."""
        now = clock.wall()
        news_id = new_id(now)
        self._count(news_id, now, now)
        await self._flood({news_id: now}, OWN, exclude=None)

    async def _on_news(self, conn: Connection, message: dict) -> None:
        now = clock.wall()
        ids = check(message)
        if not self._budgets.take(conn.id, 1):
            self._log.warning("peer_over_budget", peer=conn.name, type=FRAME, rate=RECEIVE_RATE)
            conn.close(f"over its budget of {RECEIVE_RATE:g} {FRAME} frames/s")
            return
        new: dict[str, float | None] = {}
        recent = self._recent
        for news_id in ids:
            # Known already (only stamped ids are kept in _recent) or twice in this frame: dropped before
            # its stamp is parsed, as most ids of a flood are (each reaches a node over each of its links).
            if news_id in recent or news_id in new:
                continue
            stamp = stamp_of(news_id)
            covered = stamp is not None and stamp <= self.newest - SKEW  # covered(), inline: this runs per id
            if covered or (stamp is None and news_id in self._legacy):
                continue
            self._count(news_id, stamp, now)
            new[news_id] = stamp
        if new:
            self.heard += 1
            await self._flood(new, conn.id, exclude=conn)

    def _count(self, news_id: str, stamp: float | None, now: float) -> None:
        """Remember news taken as new, and forget what it covers."""
        if stamp is None:
            self._legacy.remember(news_id)
        else:
            self._recent[news_id] = stamp
        self.newest = max(self.newest, min(now if stamp is None else stamp, now))
        recent, horizon = self._recent, self.newest - SKEW  # covered(), inline: this runs per new id
        while recent and (len(recent) > RECENT or next(iter(recent.values())) <= horizon):
            recent.popitem(last=False)

    async def _flood(self, ids: dict[str, float | None], queue: int | None, exclude: Connection | None) -> None:
        """Send `ids` (at most BATCH) now if nothing waits and the rate allows; else queue them."""
        if not self._held and self._owed is None and self._sending.take(1):
            await self.swarm.broadcast(frame(list(ids)), exclude=exclude)
            return
        held = self._held.setdefault(queue, {})
        for news_id, stamp in ids.items():
            if len(held) < HELD:
                held[news_id] = stamp
            else:  # dropped: a fold owes it (or newer news covers it first)
                stamp = clock.wall() if stamp is None else stamp
                self._owed = stamp if self._owed is None else max(self._owed, stamp)
        self._wake.set()
        if self._sender is None or self._sender.done():
            self._sender = self.swarm.spawn(self._send_held())

    async def _send_held(self) -> None:
        """Held news, a frame at a time as the send rate allows, newest first, until none is left;
        folded into one fresh id if this node lags (more than a frame waits, or a queue overflowed)
        until its fold time."""
        while True:
            self._drop_covered()
            if not self._held and self._owed is None:
                self._fold_at = None
                return
            lagging = self._owed is not None or sum(map(len, self._held.values())) > BATCH
            if not lagging:
                self._fold_at = None
            elif self._fold_at is None:
                self._fold_at = self._fold_time()
            fold_in = self._fold_at - clock.wall() if lagging else 1.0
            if not self._held and fold_in > 0:  # only dropped news waits, for its fold time
                self._wake.clear()
                with contextlib.suppress(asyncio.TimeoutError):  # news to send ends the wait early
                    await asyncio.wait_for(self._wake.wait(), fold_in)
            elif not self._sending.take(1):
                await asyncio.sleep(1 / SEND_RATE)  # the bucket's refill time: a clock, not a wait for a condition
            else:
                await self.swarm.broadcast(frame(self._fold() if fold_in <= 0 else self._next_frame()))

    def _fold_time(self) -> float:
        """When news this node lags on is folded: SKEW from now, so that the fresh id covers it
        everywhere, plus a random part of FOLD_SPREAD, so that the first node to fold covers the
        others' backlog of the same news before they fold too; and not before this node's fold gap
        has passed since its last fold."""
        spread = int.from_bytes(entropy.token_bytes(2), "big") / 65536 * FOLD_SPREAD
        return max(clock.wall() + SKEW + spread, self._folded_at + self._fold_gap)

    def _drop_covered(self) -> None:
        """Held ids made SKEW or more before the newest news counted here need not go on (covered)."""
        if self._dropped_to == self.newest:
            return  # nothing newer counted since the last look: nothing more is covered
        self._dropped_to = self.newest
        for queue, held in list(self._held.items()):
            for news_id in [news_id for news_id, stamp in held.items() if self.covered(stamp)]:
                del held[news_id]
            if not held:
                del self._held[queue]
        if self._owed is not None and self.covered(self._owed):
            self._owed = None

    def _fold(self) -> list[str]:
        """One fresh id in place of everything waiting: made after all of it was heard, and SKEW or
        more after it was made, so it covers it at every node it reaches."""
        now = clock.wall()
        again = now < self._folded_at + 2 * self._fold_gap
        self._fold_gap = self._fold_gap * 2 if again else FOLD_GAP
        self._folded_at, self._owed, self._fold_at = now, None, None
        self._held.clear()
        self.folds += 1
        self.heard += 1  # counted here too: `newest` says news made until SKEW before it needs no count
        news_id = new_id(now)
        self._count(news_id, now, now)
        return [news_id]

    def _next_frame(self) -> list[str]:
        """Up to BATCH held ids, the newest of each queue, taken in turn from each queue."""
        ids: list[str] = []
        while self._held and len(ids) < BATCH:
            queue = next(iter(self._held))
            held = self._held.pop(queue)
            ids.append(held.popitem()[0])
            if held:
                self._held[queue] = held  # to the back: the next id comes from the next queue
        return ids
