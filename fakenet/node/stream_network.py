"""Stream protocols over the swarm: searched queries, searched commit fetches, update gossip.

    sq {qid, stream}              who holds this stream?       → sr {qid, stream, tip, log, length}
    sq {qid, stream, end}         a page of its log, to `end`  → sr {qid, stream, tip, log, length}
    bq {qid, cids}                who has these commits?       → br {qid, blocks: {cid: hex}}
    qd {qid, nodes, lost}         my part of search qid is over (fakenet.node.echo)
    qa {qid}                      my part of search qid is still going
    su {gid, stream, tip, blocks} a holder moved to a new tip (flooded to everyone)
    ar {stream, tip}              please anchor this tip (flooded, so any miner includes it)

Queries and fetches are echo searches (fakenet.node.echo): they reach every node connected to
the asker, whatever the diameter and the link delays, answers come back along the path the
request took, and the asker learns when the whole component has been searched. A node that has
what was asked answers and does not forward (a fetch forwards what it could not answer; a holder
whose copy is stale answers and forwards, since a newer holder may be behind it). The
node's sync timeout is the search's `silence`: how long a node waits on a silent neighbour.

Gossip floods with no hop limit and is deduplicated by id: with no budget to run out, the first
copy a node sees is as good as any later one, so dropping later copies loses nothing.

An `sr` lists at most the newest MAX_LOG commits of the log (`length` says how many it has); the
asker walks a longer log back a window at a time (`page`), fetching by CID and following the
prev links it verifies anyway (fakenet.node.stream_service), at a pace its peers' budgets allow.

A peer's frame is evidence, not truth (issue 24). Every frame is held to its type's byte limit
before it is decoded (stream_frames.MAX_BYTES, registered with the swarm), then checked against
its field limits (fakenet.node.stream_frames) and charged to its sender's work budget before it does anything;
a peer that breaks either is disconnected. A query gathers every holder's answer (each distinct
tip once per link, at most TIPS_PER_LINK from one link), not the first: the asker settles the
tip itself from the commits (fakenet.node.stream_service). Lookups that touch SQLite run off the
event loop, so a peer's frame cannot stall the node; a node joins the search before that lookup,
so it says alive to its parent however long the disk takes (fakenet.node.echo: `join`, `proceed`).

An honest node is never dropped for what it passes on (fakenet.node.relay_budget): it passes a
search or gossip on only within a send budget per link and per source below what its peers grant
it, so a rogue's flood stops at the first honest node (a search not passed on counts its links as
lost and still ends); the replies to what it asked are not charged to the link that owes them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from contextlib import aclosing
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING

from multiformats import CID

from fakenet.node import entropy, framing, lag, logs, stream_frames
from fakenet.node.budget import Budgets
from fakenet.node.connection import Connection, send_all
from fakenet.node.echo import ALIVE, DONE, LOCAL, Bounded, EchoSearches, done
from fakenet.node.relay_budget import Relay, Solicited
from fakenet.node.streams import CommitRejected, StreamID, as_cid, codec

if TYPE_CHECKING:
    from fakenet.node.stream_service import StreamService
    from fakenet.node.swarm import Swarm


CAP = 20  # a search this node began is abandoned after CAP x silence, finished or not (a backstop)
TIPS_PER_LINK = 8  # distinct answers taken from one link per search: a rogue cannot crowd out the rest
# Work units (stream_frames.cost: a frame, plus the CIDs it has looked up and the blocks it carries) a peer may cause per
# second, and in one burst. An honest load costs ~10 units per link: the bench's 66 first loads a
# second pass with room. A frame is every search's unit of flooding, so a peer sending frames
# as fast as it can is cut off within seconds. A CID a fetch asks for is LOOKUP units (its parse and
# pin-store reads at every node it reaches: stream_frames.cost).
WORK_RATE, WORK_BURST = 1000, 4000
# What this node sends a peer stays below the WORK_RATE and WORK_BURST it is granted, whatever its
# other peers send it (issue 24: a rogue's flood, passed on whole, got the honest relay dropped).
# Fractions of both: its own searches are paced at PACE of them (Pace); what it passes on for
# others is capped at RELAY per link and SHARE per source (fakenet.node.relay_budget). SHARE is
# over PACE, so one peer's paced walk back passes a relay whole, however the links bunch its
# requests up; under RELAY, so one flooding peer leaves room on each link for the others. Replies
# to what it asked are not charged (relay_budget.Solicited). PACE + RELAY = 3/4: the rest is room
# for the gossip it starts and for replies that come late.
PACE, RELAY, SHARE = 1 / 4, 1 / 2, 3 / 8
REPLIES = frozenset(("sr", "br", DONE, ALIVE))


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
                    f"link(s) silent past the {self.silence:g}s sync timeout and the lag the node "
                    f"measured, or closed)")
        return f"(searched all {self.nodes - 1} other nodes connected to it)"


def unrelayed(message: dict, relayed: set) -> dict | None:
    """What of an answer has not yet gone up this search's path: a fetch's blocks cross each link
    once; a query's answers once per distinct tip (the asker settles between them), at most
    TIPS_PER_LINK of them, which is all the parent takes from one link (and takes free)."""
    if "blocks" in message:
        blocks = {cid: data for cid, data in message["blocks"].items() if cid not in relayed}
        relayed.update(blocks)
        return {**message, "blocks": blocks} if blocks else None
    if ("tip", message.get("tip")) in relayed or ("tips", TIPS_PER_LINK) in relayed:
        return None
    tips = sum(1 for key in relayed if key[0] == "tip")
    relayed.add(("tip", message.get("tip")))
    relayed.add(("tips", tips + 1))
    return message


class StreamNetwork:
    def __init__(self, swarm: Swarm, service: StreamService):
        self.swarm, self.service = swarm, service
        self._log = logs.get()
        self.silence = service.sync_timeout
        self._searches = EchoSearches(unrelayed, self.silence, grace=self._grace, stall=lambda conn: conn.stall.reading())
        self._ticker_lag = lag.LagMeter()  # how late the search ticker wakes: this node's own load
        self._ticker: asyncio.Task | None = None
        self._gossip_seen = Bounded()
        self._askers: dict[str, asyncio.Queue] = {}  # qid -> what reaches LOCAL for searches we began
        self._answers = Bounded()  # (qid, connection id) -> answers taken from that link
        self._budgets = Budgets(WORK_RATE, WORK_BURST)
        self._pace = Pace(WORK_RATE * PACE, WORK_BURST * PACE)  # what this node asks of its peers
        self._relay = Relay(WORK_RATE * RELAY, WORK_BURST * RELAY, WORK_RATE * SHARE, WORK_BURST * SHARE)
        self._solicited = Solicited(TIPS_PER_LINK)  # replies it asked for: not charged
        for message_type, handler in (("sq", self._on_query), ("sr", self._on_answer), ("bq", self._on_fetch),
                                      ("br", self._on_answer), (DONE, self._on_done), (ALIVE, self._on_alive),
                                      ("su", self._on_update),
                                      ("ar", self._on_anchor_request)):
            swarm.handle(message_type, self._guarded(handler), stream_frames.MAX_BYTES[message_type])
        # Held streams count as fresh only until the next new connection (StreamService.load).
        service.connections = lambda: swarm.connections_made
        swarm.on_connect.append(self._share_anchor_requests)
        swarm.on_disconnect.append(self._on_disconnect)

    def _guarded(self, handler):
        """The handler, behind the frame's limits and its sender's work budget (replies this node
        asked for, within what an honest peer sends, excepted)."""
        async def guarded(conn: Connection, message: dict) -> None:
            stream_frames.check(message)  # FrameRefused: the swarm drops the peer as malformed
            solicited = message["t"] in REPLIES and self._solicited.take(message["qid"], conn.id, message)
            if not solicited and not self._budgets.take(conn.id, stream_frames.cost(message)):
                self._log.warning("peer_over_budget", peer=conn.name, type=message["t"], rate=WORK_RATE)
                conn.close(f"over its work budget of {WORK_RATE} units/s (stream frames)")
                return
            await handler(conn, message)
        return guarded

    # -- asking --------------------------------------------------------------------------------

    async def query(self, stream_id: StreamID, end: CID | None = None) -> tuple[list[dict], Searched]:
        """Every distinct answer {tip, log, length} the holders gave, and how the search ended: until
        it ends, or for one sync timeout after the first answer (a silent branch cannot hold a load).
        Each log is the newest MAX_LOG entries, or with `end` the window that ends at that commit."""
        if end is None:  # a page paid for its answers' share already
            await self._pace.spend(1, self._now())
        answers, unfinished = [], Searched(None, 0, self.silence)
        request = {"t": "sq", "stream": stream_id.encode(), **({"end": str(end)} if end is not None else {})}
        async with aclosing(self._ask(request, self.silence)) as messages:
            async for message in messages:
                if message["t"] == DONE:
                    return answers, Searched.from_done(message, self.silence)
                answers.append(message)
        return answers, unfinished

    async def page(self, stream_id: StreamID, end: CID) -> list[CID]:
        """The window of the stream's log that ends at commit `end` (at most MAX_LOG entries, `end`
        last), from the holders whose log holds it: a hint of which commits to fetch next while
        walking a long log back (fakenet.node.stream_service); the prev links decide what counts."""
        await self._pace.spend(stream_frames.MAX_LOG + 1, self._now())
        answers, _searched = await self.query(stream_id, end)
        windows = [a["log"] for a in answers if a["log"] and a["log"][-1] == str(end)]
        return [as_cid(c) for c in dict.fromkeys(c for window in windows for c in window)]

    async def fetch(self, cids: list[CID]) -> tuple[dict[CID, bytes], Searched]:
        """Commit blocks by CID from whoever has them, in searches of at most MAX_CIDS each, paced
        so that the holders' answers stay within the work budget this node grants them."""
        found, searched = {}, Searched(0, 0, self.silence)
        for start in range(0, len(cids), stream_frames.MAX_CIDS):
            part_cids = cids[start:start + stream_frames.MAX_CIDS]
            # Its `bq` at each peer (LOOKUP a CID) and the `qd` that ends it: its blocks come back free.
            await self._pace.spend(stream_frames.cost({"t": "bq", "cids": part_cids}) + 1, self._now())
            part, searched = await self._fetch(part_cids)
            found.update(part)
        return found, searched

    async def _fetch(self, cids: list[CID]) -> tuple[dict[CID, bytes], Searched]:
        """What arrived before the search ended; a block that does not hash to its CID is dropped,
        so an honest copy arriving later still counts."""
        wanted, found = set(cids), {}
        unfinished = Searched(None, 0, self.silence)
        async with aclosing(self._ask({"t": "bq", "cids": [codec.cid_text(c) for c in cids]})) as messages:
            async for message in messages:
                if message["t"] == DONE:
                    return found, Searched.from_done(message, self.silence)
                found.update(_genuine(message["blocks"], wanted - found.keys()))
                if wanted <= found.keys():
                    break
        return found, unfinished

    async def _ask(self, request: dict, window: float | None = None):
        """Answers as they reach us, then the search's final `done` (or nothing: at the cap, or
        `window` seconds after the first answer)."""
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
                if window is not None:
                    deadline, window = min(deadline, self._now() + window), None
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
        encoded, payload = None, b""
        for link, message in sends:
            if link == LOCAL:
                if (queue := self._askers.get(str(message["qid"]))) is not None:
                    queue.put_nowait(message)
            else:
                if message["t"] in ("sq", "bq"):
                    self._solicited.asked(message["qid"], link.id, message)
                if message is not encoded:  # a request spread to every child is one object: encoded once
                    encoded, payload = message, framing.payload(message)
                if link.queue_payload(payload):  # send_payload, without a coroutine per frame of a search
                    await link.wait_for_room()

    async def _on_query(self, conn: Connection, message: dict) -> None:
        stream_id = StreamID.parse(message["stream"])
        end = as_cid(message["end"]) if "end" in message else None  # not a CID: malformed, like a bad stream id
        if not await self._join(conn, message["qid"]):
            return
        held = await self.service.find_state(stream_id)
        window = None if held is None else log_window(held.log, end)
        if window is None:
            respond = None, stream_frames.known(message)
        else:
            # A copy that is not fresh may be behind a holder further on (fakenet.node.component_news):
            # it answers and passes the query on, so the asker settles between both.
            onward = None if self.service.fresh(stream_id) else stream_frames.known(message)
            respond = {"t": "sr", "qid": message["qid"], "stream": message["stream"], "tip": codec.cid_text(held.tip),
                       "log": window, "length": len(held.log)}, onward
        await self._proceed(conn, message["qid"], respond)

    async def _on_fetch(self, conn: Connection, message: dict) -> None:
        if not await self._join(conn, message["qid"]):
            return
        cids = [as_cid(c) for c in message["cids"]]
        blocks = await self.service.blocks_for(cids) if cids else {}
        parts = [{"t": "br", "qid": message["qid"], "blocks": part}
                 for part in _fitting(blocks.items(), stream_frames.BLOCKS_BYTES)]
        # Passed on as the peer wrote them (each parsed above): printing a CID nobody has seen is
        # ~0.1 ms of multiformats on the event loop, 256 of them most of a fetch's CPU here.
        rest = [text for text, cid in zip(message["cids"], cids) if cid not in blocks]
        respond = parts[0] if parts else None, {**stream_frames.known(message), "cids": rest} if rest else None
        # Answers beyond the first go up before the search moves on (the link is FIFO, so before any `done`).
        await self._send([(conn, part) for part in parts[1:]])
        await self._proceed(conn, message["qid"], respond)

    async def _proceed(self, conn: Connection, qid: str, respond: tuple[dict | None, dict | None]) -> None:
        """Answer, and pass the request on to the links the relay budget allows now; the others
        count as lost links, so the search still ends and the asker knows it was partial."""
        links, unreached = self._links(), 0
        if respond[1] is not None:
            links, unreached = self._relay.onward(conn, links, stream_frames.cost(respond[1]))
            if unreached:
                self._log.debug("search_not_passed_on", peer=conn.name, type=respond[1]["t"], links=unreached)
        await self._send(self._searches.proceed(qid, links, respond, self._now(), unreached=unreached))

    async def _join(self, conn: Connection, qid: str) -> bool:
        """Enter a search before the lookup that answers it, which runs off the event loop and may
        wait on the disk: meanwhile the ticker says alive to `conn`, so the asking side does not take
        this node's lookup for a silent link. A repeat copy is told `done` at once (False)."""
        if self._searches.join(qid, conn, self._now()):
            await self._send([])  # starts the ticker if it is not running
            return True
        await self._send([(conn, done(qid, 0))])
        return False

    async def _on_answer(self, conn: Connection, message: dict) -> None:
        if message["t"] == "br":  # only what this node asked that link for goes on (free) up the path
            message = {**message, "blocks": self._solicited.asked_for(message["qid"], conn.id, message["blocks"])}
        if message["t"] == "sr":
            key = (message["qid"], conn.id)
            self._answers.remember(key, self._answers.get(key, 0) + 1)
            if self._answers[key] > TIPS_PER_LINK:
                return
        await self._send(self._searches.answer(message["qid"], conn, message, self._now()))

    async def _on_done(self, conn: Connection, message: dict) -> None:
        await self._send(self._searches.done(str(message["qid"]), conn, int(message["nodes"]),
                                             int(message.get("lost", 0))))

    async def _on_alive(self, conn: Connection, message: dict) -> None:
        self._searches.alive(str(message["qid"]), conn, self._now())

    async def _tick(self) -> None:
        """While searches are active: give up on silent neighbours, tell parents we are alive."""
        while self._searches.active():
            due = self._now() + self.silence / 4
            await asyncio.sleep(self.silence / 4)  # a clock for the searches, not a wait for a condition
            self._ticker_lag.record(self._now() - due)
            await self._send(self._searches.tick(self._now()))

    def _grace(self, conn: Connection, stalled: float) -> float:
        """Silence granted to `conn` beyond the sync timeout: the lag measured and the seconds it
        `stalled` since the search last heard from it (fakenet.node.lag)."""
        return lag.grace(self.silence, conn.injected_round_trip(), self._ticker_lag.peak(), conn.lag.peak(),
                         stalled=stalled)

    def _on_disconnect(self, conn: Connection) -> None:
        # Only `done`s to LOCAL or to other links can result; sending may wait, so in a task.
        self._budgets.forget(conn.id)
        self._relay.forget(conn.id)
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
        """Gossip a new tip with the newest of the stream's blocks that fit one `su` (the tip first,
        then the others newest first): holders that were up to date need only those; one that
        misses older ones syncs on its next load (StreamService.receive_update)."""
        tip_text = codec.cid_text(tip)  # str(tip) is ~1 ms of multiformats per update
        gid = f"{stream_id.encode()}/{tip_text}"
        self._gossip_seen.remember(gid)
        if not self.swarm.connections:  # no one to tell (alone, or cut off): a frame of the whole log for no one
            return
        # Lazily, without a reordered copy of every block: the frame may fill before the log ends.
        newest_first = chain([(tip, blocks[tip])], reversed(blocks.items())) if tip in blocks else blocks.items()
        fitting = next(_fitting(newest_first, stream_frames.BLOCKS_BYTES, one_part=True), {})
        await self.swarm.broadcast({"t": "su", "gid": gid, "stream": stream_id.encode(), "tip": tip_text,
                                    "blocks": fitting})

    async def _on_update(self, conn: Connection, message: dict) -> None:
        if not self._first_sight(message["gid"]):
            return
        stream_id, tip = StreamID.parse(message["stream"]), as_cid(message["tip"])
        blocks = {as_cid(c): bytes.fromhex(d) for c, d in message["blocks"].items()}
        await self.service.receive_update(stream_id, tip, blocks, conn.name)
        await self._pass_on(conn, stream_frames.known(message))

    async def _pass_on(self, conn: Connection, message: dict) -> None:
        """Gossip on to the links the relay budget allows now: a holder skipped syncs on its next load."""
        links, unreached = self._relay.onward(conn, self._links(), stream_frames.cost(message))
        if unreached:
            self._log.debug("gossip_not_passed_on", peer=conn.name, type=message["t"], links=unreached)
        await send_all(links, message)  # encoded once, no task per link

    async def publish_anchor_request(self, stream_id: str, tip: str) -> None:
        self._gossip_seen.remember(f"ar/{stream_id}/{tip}")
        await self.swarm.broadcast({"t": "ar", "stream": stream_id, "tip": tip})

    async def _share_anchor_requests(self, conn: Connection) -> None:
        """A peer that was away missed our requests; whoever mines next must know them all."""
        for stream_id, tip in self.service.anchors.requests():
            await conn.send({"t": "ar", "stream": stream_id, "tip": tip})

    async def _on_anchor_request(self, conn: Connection, message: dict) -> None:
        """Checked before it is kept (fakenet.node.anchoring); only a request kept is passed on."""
        stream_id, tip = StreamID.parse(message["stream"]), as_cid(message["tip"])
        # codec.cid_text, not str(tip): each write's request reaches every node from each of its
        # peers, and multiformats prints a CID in about a millisecond.
        if not self._first_sight(f"ar/{stream_id.encode()}/{codec.cid_text(tip)}"):
            return
        if await self.service.anchors.request_from(conn.peer_id, stream_id, tip):
            await self._pass_on(conn, stream_frames.known(message))


def log_window(log, end: CID | None) -> list[str] | None:
    """What an `sr` lists of `log`: its newest MAX_LOG entries, or (with `end`) the MAX_LOG that end
    at commit `end`; None if `end` is not in the log (this node cannot answer that page)."""
    if end is None:
        stop = len(log)
    else:
        stop = next((i + 1 for i in range(len(log) - 1, -1, -1) if log[i].cid == end), None)
    if stop is None:
        return None
    # Printing a CID costs about a millisecond in multiformats: only the window's, each once per entry (LogEntry.text).
    return [entry.text for entry in log[max(0, stop - stream_frames.MAX_LOG):stop]]


class Pace:
    """Spends this node makes its peers do for it (units of their work budget, stream_frames.cost),
    held to `rate` per second after a `burst`: a generic cell rate algorithm. A walk back through a
    long log asks for a window and its blocks round after round; paced, what this node asks stays a
    fraction (PACE) of the budget its peers grant it (WORK_RATE), and so do the answers it gets."""

    def __init__(self, rate: float, burst: float):
        self.rate, self.burst = rate, burst
        self._paid_until = float("-inf")  # when what was spent so far is paid for at `rate`

    async def spend(self, units: float, now: float) -> None:
        self._paid_until = max(self._paid_until, now - self.burst / self.rate) + units / self.rate
        if self._paid_until > now:
            await asyncio.sleep(self._paid_until - now)  # a rate, not a wait for a condition


def _fitting(blocks: Iterable[tuple[CID, bytes]], limit: int, one_part: bool = False):
    """`blocks`, (cid, bytes) pairs, as {cid text: hex} maps that each fit a frame of `limit` bytes
    with its envelope, in order (with `one_part`, only the first); a CID listed again is skipped.
    A block too large for any frame is left out: no peer would take it (stream_frames.MAX_BLOCK_HEX)."""
    room = limit - stream_frames.ENVELOPE
    part, size = {}, 0
    for cid, data in blocks:
        key = codec.cid_text(cid)  # cached: gossip prints the same CIDs each update
        if key in part:  # listed already (publish_update names the tip first, then again in order)
            continue
        value = data.hex()
        cost = len(key) + len(value) + 6  # quotes, colon, comma
        if len(value) > stream_frames.MAX_BLOCK_HEX or cost > room:
            continue
        if size + cost > room:
            yield part
            if one_part:
                return
            part, size = {}, 0
        part[key], size = value, size + cost
    if part:
        yield part


def _genuine(blocks: dict[str, str], wanted: set[CID]) -> dict[CID, bytes]:
    """The blocks of an answer that were asked for and hash to their CID."""
    found = {}
    for cid_text, data in blocks.items():
        cid = as_cid(cid_text)
        if cid in wanted and _hashes_to(cid, block := bytes.fromhex(data)):
            found[cid] = block
    return found


def _hashes_to(cid: CID, data: bytes) -> bool:
    try:
        codec.verify(cid, data)
    except (CommitRejected, ValueError, TypeError, KeyError):  # jose.unpack may raise any of these
        return False
    return True
