"""Who holds which stream, and how a node gets one: cache, then pin store, then the network.

Unpinned streams live only in the in-memory LRU cache (evicted or restarted away, they are gone
from this node, as on Ceramic); pinned ones also live in the SQLite pin store and survive
kill -9. The events of Models and MIDs are kept apart from that by ceramic-one's event feed
(ceramic_one/feed.py), which watchers' `note(state, blocks)` hands their bytes; ceramic-one's side
rebuilds such a stream from them once the cache has let it go (`restore`, ceramic_one/stream_states.py).
A node that loads a stream caches it and from then on serves it to others.

A load from the network settles the tip as js-ceramic's sync does: it takes every holder's
answer, fetches the commits of each, replays and verifies every log (signatures, links, anchor
proofs against this node's chain) and keeps the one the conflict rules pick; an answer that does
not verify is dropped, not fatal. An answer lists only the newest stream_frames.MAX_LOG commits
of a log: a longer one is walked back a window at a time along the prev links (`_walked_back`),
to the genesis or to commits this node holds, in rounds paced to the holders' work budgets, and a
log longer than LONGEST_LOG commits is refused with a clear error.

Whatever the node ends up holding is the pick between what it held and what arrived, so it
never serves, caches or pins a state older than one it verified.

What a load guarantees (js-ceramic's PREFER_CACHE, with "synced" made precise): a stream this
node holds answers from its copy only while that copy is *fresh*, that is synced with the
network since this node's component last changed. Gossip keeps a held stream up to date while the
links stay up, so in a stable network loads stay local; but whatever was written on the far side
of a partition, or on a peer that was down, reached this node by no gossip. So every new
connection makes every held stream stale: this node's own (a heal, a peer's restart, a new peer:
the swarm counts them) and, through component news, one anywhere in its component
(fakenet.node.component_news: a heal between two other nodes joins this node to writes it missed
while its own links stayed up). The next load of a stale stream syncs it as a load from the
network does: it gathers the answers of every reachable holder within the sync window, verifies
them, settles them with the held state by the conflict rules and keeps the pick (cache and pin
store alike). A stale holder that another node's search asks answers and passes the query on
(fakenet.node.stream_network), so its copy cannot hide a newer holder behind it. A load therefore
returns the newest state any holder reachable at the time of the load had verifiably written, or
one at least as new, once the news of the last new connection in its component has reached this
node: it travels the links, so a load a link delay after a heal elsewhere may still answer from
the old copy. The work is bounded: a reconnect or a piece of news costs nothing by itself
(staleness is one counter compared, not a scan; news is rate-limited per peer), each stale stream
is synced once, lazily, by its next load, and concurrent loads of it share that one sync. A sync
that finds no other holder keeps the copy. Not covered: gossip the link filter's `loss` drops on
a connection that stays up (TCP never drops a frame of a live connection; the filter does) goes
unnoticed until the next new connection in the component.
"""

from __future__ import annotations

import asyncio
from collections import ChainMap, OrderedDict
from typing import Any, Awaitable, Callable, Generator, Mapping, TypeVar

from multiformats import CID

from fakenet.node import logs, stream_frames
from fakenet.node.log_budget import LogBudget
from fakenet.node.streams import (AnchorStatus, CachedStream, CommitRejected, ControllerKey, MissingCommit, PinStore, StreamCache,
                                  StreamID, StreamState, StreamUnavailable, apply_commit, apply_genesis, codec, first_missing,
                                  make_genesis, make_update, replay_steps, settle)
from fakenet.node.streams.commits import values_over
from fakenet.node.streams.conflict import fork_wins
from fakenet.node.streams.state import fork_steps, gossip_steps, heads_steps


SYNCED_MEMORY = 100_000  # streams whose freshness is remembered; past it, old entries go first
# States held before a move, for forks off them (_remember), oldest out first: a node of the sim's
# 10,000 keeps this many, so few; two writers racing on one tip need only the last few.
EARLIER_MEMORY = 64
# The longest log a load walks (a counter updated every minute for 69 days), and the rounds of one
# window (stream_frames.MAX_LOG) each it may take: twice what an honest holder's full windows need.
LONGEST_LOG = 100_000
WALK_ROUNDS = 2 * (LONGEST_LOG // stream_frames.MAX_LOG) + 2
# A write this large (values in its content, or bytes in its commit) is built and replayed off the
# loop (_work): ~10 ms of CPU and up; below, a thread's hand-over costs more than the work.
LARGE_VALUES, LARGE_BYTES = 4_000, 32 * 1024


T = TypeVar("T")


async def stepped(steps: Generator[None, None, T]) -> T:
    """Run a generator of steps (fakenet.node.streams: replay_steps, heads_steps) to its value,
    letting the event loop run other work between its steps."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value
        await asyncio.sleep(0)


class StreamService:
    def __init__(self, key: ControllerKey, cache: StreamCache, pins: PinStore, sync_timeout: float = 3.0):
        self.key, self.cache, self.pins, self.sync_timeout = key, cache, pins, sync_timeout
        self.network = None  # StreamNetwork, wired by the node
        self.anchors = None  # AnchorService, wired by the node
        self.rules = None  # ModelRules (model_rules.py), wired by the node: Models and MIDs checked against what they name
        # Told of every state this node accepts, with its commits (`note(state, blocks)`): the model
        # index, the event feed (which keeps the events' bytes).
        self.watchers = []
        # Awaited before the first stream is handled, then dropped: a process node's import of
        # jsonschema in a thread (daemon.py), so a Model's checks never import it on the event loop
        # and a node that never handles a stream never imports it. None: nothing to prepare.
        self.prepare: Callable[[], Awaitable[None]] | None = None
        self._log = logs.get()
        # A stream synced from a peer and a cache eviction come one per event in bulk (a Recon intake
        # of thousands of MIDs evicts one stream per MID once the cache is full): their lines within a
        # budget, the rest counted in the next (`suppressed=N`). Two lines an event were ~45 % of a
        # docker node's CPU taking events in: each a write to the container's stdout pipe, read
        # back and re-encoded by the engine's log driver (BENCHMARKS.md, issue 28, fifteenth session).
        self._log_bulk = LogBudget()
        # Freshness: the connection count (`connections()`, wired to the swarm's plus the component
        # news heard: fakenet.node.component_news) at which each held stream was last synced; a
        # stream is fresh while that is still the count. A new connection here or anywhere in the
        # component makes every entry stale at once, without touching them.
        self.connections: Callable[[], int] = lambda: 0
        self._synced: dict[StreamID, int] = {}
        self._syncing: dict[StreamID, asyncio.Future] = {}  # one sync per stream at a time
        # The states this node held before its latest moves, by tip: a fork off one of them (two
        # writers updating the same tip at once) is checked from there, not replayed from genesis.
        self._earlier: OrderedDict[CID, StreamState] = OrderedDict()

    # -- holding -------------------------------------------------------------------------------

    def held(self, stream_id: StreamID) -> CachedStream | None:
        """What this node holds of a stream, without counting as a use of the cache."""
        entry = self.cache.peek(stream_id)
        if entry is not None:
            return entry
        pinned = self.pins.get(stream_id)
        return CachedStream(*pinned) if pinned else None

    async def find(self, stream_id: StreamID) -> CachedStream | None:
        """`held`, with the pin store read off the event loop (for lookups a peer causes)."""
        entry = self.cache.peek(stream_id)
        return entry if entry is not None else await self._off_loop(self._pinned, stream_id)

    async def find_state(self, stream_id: StreamID) -> StreamState | None:
        """`find`'s state alone: a pinned stream's commits stay in the store."""
        entry = self.cache.peek(stream_id)
        if entry is not None:
            return entry.state
        # Not pinned (known from memory): no read off the loop, a thread hop per unknown query.
        return await self._off_loop(self.pins.state, stream_id) if self.pins.is_pinned(stream_id) else None

    def _pinned(self, stream_id: StreamID) -> CachedStream | None:
        pinned = self.pins.get(stream_id)
        return CachedStream(*pinned) if pinned else None

    async def blocks_for(self, cids: list[CID]) -> dict[CID, bytes]:
        """The blocks of `cids` this node has: cache first, then the stores, read off the event loop."""
        wanted, found = set(cids), {}
        for entry in self.cache.entries():
            found.update({cid: entry.blocks[cid] for cid in wanted & entry.blocks.keys()})
        rest = [cid for cid in cids if cid not in found and self.pins.holds(cid)]  # none held: no read, no thread
        stored = await self._off_loop(self._stored_blocks, rest) if rest else {}
        # In the order asked, not the set intersection's (by hash): the reply's bytes, and how they
        # split into frames, are the same in every run of a seed (the sim's replay).
        return {cid: found[cid] if cid in found else stored[cid] for cid in cids if cid in found or cid in stored}

    async def _off_loop(self, read, *args):
        """A read a peer causes leaves the loop where it may wait on the disk. A memory store (the
        sim's) answers at once, and a thread there would let the machine's timing into virtual time."""
        if self.pins.in_memory:
            return read(*args)
        return await asyncio.to_thread(read, *args)

    def _stored_blocks(self, cids: list[CID]) -> dict[CID, bytes]:
        found = {}
        for cid in cids:
            # Commits as this node stores them (a DAG-JOSE commit travels as its record: JWS and linked
            # block, which get_block would cut down to the bare JWS), then raw blocks: cluster pins.
            data = self.pins.block(cid)
            if data is not None or (data := self.pins.get_block(cid)) is not None:
                found[cid] = data
        return found

    def store(self, state: StreamState, new_blocks: dict[CID, bytes], before: StreamState | None = None) -> None:
        """Record a newer state wherever the stream is held (cache and/or pin store); `before`, the
        state it replaces, is remembered for forks off it (`_remember`)."""
        entry = self.cache.peek(state.stream_id)
        if before is not None and before.tip != state.tip:
            self._remember(before)
        if entry is not None:
            self._log_evicted(self.cache.replace(state, {**entry.blocks, **new_blocks}))
        if self.pins.is_pinned(state.stream_id):
            self.pins.update(state, new_blocks)

    def _remember(self, state: StreamState) -> None:
        """Keep a verified state this node moved on from, for a fork off its tip (`_gossiped`)."""
        state.__dict__.pop("_index", None)  # StreamState.index's cache: rebuilt if ever needed
        self._earlier[state.tip] = state
        self._earlier.move_to_end(state.tip)
        while len(self._earlier) > EARLIER_MEMORY:
            self._earlier.popitem(last=False)

    def _cache(self, state: StreamState, blocks: dict[CID, bytes]) -> None:
        self._log_evicted(self.cache.put(state, blocks))

    def _log_evicted(self, ids: list[StreamID]) -> None:
        for evicted in ids:
            self._log_bulk.info("stream_evicted", stream=evicted.encode(), pinned=self.pins.is_pinned(evicted))

    async def _prepared(self) -> None:
        if self.prepare is not None:
            await self.prepare()  # concurrent first callers each await the same preparation
            self.prepare = None

    # -- creating and updating -------------------------------------------------------------------

    async def _work(self, large: bool, function, *args, **kwargs):
        """A large commit's encoding, signing, decoding and replay run off the loop: 300,000 ints are
        ~0.5 CPU s here and 1.5 s on a slow machine, all of it a stall of every peer's keepalive and
        every other client's call. In a thread the loop still gets the interpreter every few
        milliseconds. Small ones stay on the loop (a thread costs more than they do), and so does
        everything in the sim, whose one loop must not let the machine's timing into network time."""
        if large and not self.pins.in_memory:
            return await asyncio.to_thread(function, *args, **kwargs)
        return function(*args, **kwargs)

    async def create(self, content, *, family=None, tags=None, pin=False) -> StreamState:
        large = values_over(LARGE_VALUES, content)
        cid, data = await self._work(large, make_genesis, self.key, content, family=family, tags=tags)
        decoded = await self._work(large, codec.decode, cid, data)
        return await self.create_from_genesis(cid, data, pin=pin, decoded=decoded)

    async def create_from_genesis(self, cid: CID, data: bytes, *, pin=False, anchor=True,
                                  decoded: Any = None) -> StreamState:
        """`anchor=False` for an event synced from a peer: the node it was written to anchors it.
        `decoded`: `codec.decode(cid, data)`, when the caller made it (apply_genesis)."""
        await self._prepared()
        state = await self._work(len(data) > LARGE_BYTES, apply_genesis, cid, data, local=True, decoded=decoded)
        await self._accept(state, {cid: data})
        existing = self.held(state.stream_id)
        if existing is None:  # a new stream: this node holds its newest state by construction
            self._cache(state, {cid: data})
            self._mark_synced(state.stream_id, self.connections())
        if pin:
            await self.pin(state.stream_id)
        if anchor:
            await self._request_anchor(state)
        # A write accepted here (it requests the anchor) is said every time; one synced from a peer is
        # said on the node it was written to, and here within the bulk budget.
        (self._log.info if anchor else self._log_bulk.info)("stream_created", stream=state.stream_id.encode(),
                                                            pinned=pin, anchor=anchor)
        return self.held(state.stream_id).state

    async def update(self, stream_id: StreamID, content) -> StreamState:
        state = await self.load(stream_id)
        large = values_over(LARGE_VALUES, state.content, content)
        cid, data = await self._work(large, make_update, self.key, state, content)
        return await self.apply(stream_id, cid, data)

    async def apply(self, stream_id: StreamID, cid: CID, data: bytes, *, anchor=True, decoded: Any = None
                    ) -> StreamState:
        """A client's (signed) update commit: validate, store, gossip, ask for an anchor (unless
        `anchor=False`: an event synced from a peer, which the node it was written to anchors).
        `decoded`: `codec.decode(cid, data)`, when the caller made it (apply_genesis)."""
        await self._prepared()
        large = len(data) > LARGE_BYTES
        if decoded is None:  # checked before the load: a malformed commit costs no sync
            decoded = await self._work(large, codec.decode, cid, data)
        current = await self.load(stream_id)
        if cid in current.index():  # a repeat (or a sync in the load brought it): held
            return current
        state = await self._work(large, apply_commit, current, cid, data, local=True, decoded=decoded)
        await self._accept(state, ChainMap({cid: data}, self.held(stream_id).blocks), current)
        self.store(state, {cid: data}, current)
        self.cache.get(stream_id)  # an update is a use
        await self.network.publish_update(stream_id, state.tip, self.held(stream_id).blocks)
        if anchor:
            await self._request_anchor(state)
        self._log.info("stream_updated", stream=stream_id.encode(), tip=codec.cid_text(state.tip), anchor=anchor)
        return state

    def _held_state(self, stream_id: StreamID) -> StreamState | None:
        entry = self.held(stream_id)
        return entry.state if entry else None

    async def _accept(self, state: StreamState, blocks: Mapping[CID, bytes],
                      before: StreamState | None = None) -> None:
        """A Model or MID must hold against what it names before it is kept; an accepted one is indexed."""
        if self.rules is not None:
            await self.rules.check(state, before)
        self._noted(state, blocks)

    def _noted(self, state: StreamState, blocks: Mapping[CID, bytes]) -> None:
        """`blocks` holds the commits of the state's log (the event feed keeps their bytes)."""
        for watcher in self.watchers:
            watcher.note(state, blocks)

    async def _request_anchor(self, state: StreamState) -> None:
        tip = codec.cid_text(state.tip)  # cached: str(CID) is ~0.4 ms of multiformats, per event
        if self.anchors.request(state.stream_id.encode(), tip):
            await self.network.publish_anchor_request(state.stream_id.encode(), tip)

    def _anchor_check(self, stream_id: StreamID, tip: CID, proof: dict) -> bool:
        """Peers' anchors count only once proven against this node's own chain."""
        return self.anchors is not None and self.anchors.proven(stream_id, tip, proof)

    async def receive_update(self, stream_id: StreamID, tip: CID, blocks: dict[CID, bytes], source: str) -> None:
        """Gossip from a peer: holders move to the winning log; others only pass it on. The work is
        that of what is new in the tip (`_gossiped`), not of the log held: a peer's older tip or bad
        commit costs a lookup or one commit's checks, an honest update its own commits'."""
        await self._prepared()
        held = await self.find(stream_id)
        if held is None or held.state.tip == tip:
            return
        merged = ChainMap(blocks, held.blocks)
        try:
            candidate = await self._gossiped(held.state, merged, tip, source)
        except MissingCommit as exc:
            # Gossip carries the newest blocks that fit a frame: a holder that missed older ones
            # gets them from the network, by syncing on its next load.
            self._synced.pop(stream_id, None)
            self._log.info("stream_update_incomplete", stream=stream_id.encode(), source=source, error=str(exc))
        except CommitRejected as exc:
            self._log.warning("stream_update_rejected", stream=stream_id.encode(), source=source, error=str(exc))
        else:
            if candidate is not None:
                self._keep(candidate, merged, source)

    async def _gossiped(self, held: StreamState, blocks: Mapping[CID, bytes], tip: CID, source: str
                        ) -> StreamState | None:
        """The state a gossiped tip offers over `held`, checked at the cost of what is new in it:
        None for a tip the held log already has (a node never goes back to an older state it
        verified) or a fork the conflict rules would not keep; the held state moved along the new
        commits for an extension. A fork the rules would keep needs the content at its fork point:
        from the state this node held there (`_earlier`), its own commits are checked and applied;
        past that memory, or if the held log's view of an anchor before the fork point changed
        since (a reorg), the fork is replayed whole, as a load replays an answer. CommitRejected,
        MissingCommit as a replay raises them."""
        stream_id = held.stream_id
        gossiped = await stepped(gossip_steps(held, blocks, tip, anchor_check=self._anchor_check))
        if gossiped.older:
            self._log.debug("stream_update_older", stream=stream_id.encode(), source=source)
            return None
        if gossiped.state is not None:
            return gossiped.state
        if not fork_wins(held, gossiped.branch):
            self._log.info("stream_update_lost", stream=stream_id.encode(), source=source, tip=codec.cid_text(tip))
            return None
        base = self._earlier.get(gossiped.fork_point)
        if base is None or base.log != held.log[:len(base.log)]:
            return await self._replayed(blocks, tip, stream_id)
        return await stepped(fork_steps(base, gossiped.fork, anchor_check=self._anchor_check))

    async def _replayed(self, blocks: dict[CID, bytes], tip: CID, stream_id: StreamID) -> StreamState:
        """rebuild, in steps that let the event loop run between them: a log a peer sent may be
        LONGEST_LOG commits, seconds of CPU that would otherwise stall every other connection."""
        return await stepped(replay_steps(blocks, tip, stream_id=stream_id, anchor_check=self._anchor_check))

    async def _verified(self, blocks: dict[CID, bytes], tip: CID, stream_id: StreamID, source: str
                        ) -> StreamState | None:
        """The log to `tip` replayed and checked, or None (logged) if it does not hold up."""
        try:
            return await self._replayed(blocks, tip, stream_id)
        except (CommitRejected, MissingCommit) as exc:
            self._log.warning("stream_update_rejected", stream=stream_id.encode(), source=source, error=str(exc))
            return None

    def _keep(self, candidate: StreamState, blocks: dict[CID, bytes], source: str) -> None:
        """Hold the pick between what this node holds of the stream and `candidate`."""
        held = self.held(candidate.stream_id)
        if held is None:
            return
        winner = settle([held.state, candidate])
        refused = self.rules.holds(winner, held.state, self._held_state) if self.rules and winner is candidate else None
        if refused:
            self._log.warning("stream_update_rejected", stream=winner.stream_id.encode(), source=source, error=refused)
            return
        if winner.tip != held.state.tip:
            self.store(winner, {c: blocks[c] for c in (e.cid for e in winner.log) if c not in held.blocks}, held.state)
            self._noted(winner, blocks)
            self._log.info("stream_tip_moved", stream=winner.stream_id.encode(), tip=codec.cid_text(winner.tip),
                           source=source)
            if winner.anchor_status is not AnchorStatus.ANCHORED and self.anchors is not None:
                self.anchors.request(winner.stream_id.encode(), codec.cid_text(winner.tip))

    async def restore(self, stream_id: StreamID, blocks: Mapping[CID, bytes]) -> StreamState | None:
        """Hold a stream again that the cache evicted (or a restart emptied), rebuilt from commits
        this node kept apart from it: `blocks`, every event of the stream the event feed holds.
        Each log they hold (one per branch) is replayed and verified as a load verifies a peer's
        answer, and the conflict rules pick among those that hold. The pick is cached as stale:
        no gossip reached the stream while it was not held, so its next load syncs it. None, and
        nothing held, when a log lacks a commit (an anchor: the feed keeps events, and anchors are
        not events) or none verifies: the caller loads the stream from the network instead."""
        await self._prepared()
        if len(blocks) > LONGEST_LOG:  # as a load refuses one: each branch's replay costs its length
            self._log.warning("stream_restore_failed", stream=stream_id.encode(),
                              error=f"{len(blocks)} events, over the {LONGEST_LOG} a load takes")
            return None
        states = []
        try:
            tips = await stepped(heads_steps(blocks))  # up to LONGEST_LOG decodes: in steps, as a replay
        except CommitRejected as exc:
            self._log.warning("stream_restore_failed", stream=stream_id.encode(), error=str(exc))
            return None
        for tip in tips:  # each costs a replay of its log: branches are rare (two commits on one prev)
            try:
                state = await self._replayed(dict(blocks), tip, stream_id)
            except MissingCommit as exc:
                self._log.info("stream_restore_incomplete", stream=stream_id.encode(), error=str(exc))
                return None
            except CommitRejected as exc:
                self._log.warning("stream_update_rejected", stream=stream_id.encode(), source="restore", error=str(exc))
                continue
            if await self._holds_rules(state):
                states.append(state)
        if not states:
            return None
        winner = settle(states)
        kept = {entry.cid: blocks[entry.cid] for entry in winner.log}
        if self.held(stream_id) is not None:  # it arrived while the logs were checked: keep the better one
            self._keep(winner, kept, "restore")
        else:
            self._cache(winner, kept)
            self._synced.pop(stream_id, None)
            self._log.info("stream_restored", stream=stream_id.encode(), tip=codec.cid_text(winner.tip),
                           commits=len(winner.log), branches=len(tips))
        return self.held(stream_id).state

    # -- loading ---------------------------------------------------------------------------------

    async def load(self, stream_id: StreamID) -> StreamState:
        await self._prepared()
        entry = self.cache.get(stream_id)
        if entry is None and (pinned := self.pins.get(stream_id)) is not None:
            self._cache(*pinned)
            entry = CachedStream(*pinned)
        if entry is None:
            return await self._first_load(stream_id)
        if self.fresh(stream_id):
            return entry.state
        return await self._sync_once(stream_id)

    def fresh(self, stream_id: StreamID) -> bool:
        """Whether this node has synced the stream with the network since its component last changed."""
        return self._synced.get(stream_id) == self.connections()

    def _mark_synced(self, stream_id: StreamID, as_of: int) -> None:
        if len(self._synced) >= SYNCED_MEMORY:  # entries of earlier counts are dead weight: drop them
            self._synced = {sid: n for sid, n in self._synced.items() if n == self.connections()}
            if len(self._synced) >= SYNCED_MEMORY:
                self._synced.clear()  # costs only re-syncs, never a stale answer
        self._synced[stream_id] = as_of

    async def _first_load(self, stream_id: StreamID) -> StreamState:
        as_of = self.connections()
        state, blocks = await self._load_from_network(stream_id)
        self._mark_synced(stream_id, as_of)
        if self.held(stream_id) is not None:  # it arrived while we searched: keep the better one
            self._keep(state, blocks, "load")
            return self.cache.get(stream_id).state if stream_id in self.cache else self.held(stream_id).state
        self._noted(state, blocks)
        self._cache(state, blocks)
        self._log.info("stream_loaded", stream=stream_id.encode(), tip=codec.cid_text(state.tip),
                       commits=len(state.log))
        return state

    async def _sync_once(self, stream_id: StreamID) -> StreamState:
        """Sync a held stream that went stale; concurrent loads of it wait for the one sync."""
        running = self._syncing.get(stream_id)
        if running is None:
            running = self._syncing[stream_id] = asyncio.ensure_future(self._sync(stream_id))
            running.add_done_callback(lambda _done: self._syncing.pop(stream_id, None))
        return await asyncio.shield(running)

    async def _sync(self, stream_id: StreamID) -> StreamState:
        """Settle the held state with every reachable holder's answer; keep the pick."""
        as_of = self.connections()
        held = self.held(stream_id)
        if held is None:  # evicted before this sync began: it is a first load now
            return await self._first_load(stream_id)
        kept = held.state, held.blocks
        try:
            state, blocks = await self._load_from_network(stream_id, have=held.blocks)
        except StreamUnavailable as exc:  # no other holder answered, or nothing verified: ours stands
            self._log.debug("stream_sync_kept", stream=stream_id.encode(), reason=str(exc))
        else:
            kept = settle([held.state, state]), {**held.blocks, **blocks}
            self._keep(state, blocks, "sync")
        if self.held(stream_id) is None:  # unpinned and evicted while it synced: hold what it settled on
            self._cache(*kept)
        self._mark_synced(stream_id, as_of)
        held = self.held(stream_id)
        self._log.debug("stream_synced", stream=stream_id.encode(), tip=codec.cid_text(held.state.tip))
        return held.state

    async def _load_from_network(self, stream_id: StreamID, have: dict[CID, bytes] | None = None
                                  ) -> tuple[StreamState, dict[CID, bytes]]:
        """Every holder's answer, settled by the conflict rules over the logs that verify; commits
        in `have` (what this node holds of the stream) are not fetched again."""
        have = have or {}
        answers, searched = await self.network.query(stream_id)
        if not answers:
            found_none = "no holder answered" if searched.nodes is None else "is held by no node reachable from here"
            raise StreamUnavailable(stream_id, stream_id.genesis, f"(genesis) {found_none} {searched.describe()}")
        refused: list[str] = []  # why answers were not walked: said in the error if nothing verifies
        windows = {codec.as_cid(a["tip"]): [codec.as_cid(c) for c in a["log"]] for a in answers
                   if self._not_too_long(stream_id, a, refused)}
        cids = list(dict.fromkeys(cid for log in windows.values() for cid in log))
        fetched, searched = await self.network.fetch([cid for cid in cids if cid not in have])
        blocks = {**have, **fetched}
        verified = [state for tip in windows if (state := await self._walked_back(stream_id, tip, blocks, set(cids), refused))]
        states = [state for state in verified if await self._holds_rules(state)]
        if not states:
            missing = next((cid for cid in cids if cid not in blocks), stream_id.genesis)
            why = f" ({'; '.join(refused)})" if refused else ""
            raise StreamUnavailable(stream_id, missing, f"could not be fetched and verified {searched.describe()}{why}")
        winner = settle(states)
        return winner, {entry.cid: blocks[entry.cid] for entry in winner.log}

    def _not_too_long(self, stream_id: StreamID, answer: dict, refused: list[str]) -> bool:
        """An answer whose holder says its log is longer than a load takes is not walked at all."""
        if answer.get("length", 0) <= LONGEST_LOG:
            return True
        return self._refused(stream_id, refused, f"a holder's log of {answer['length']} commits is longer than the "
                                                 f"{LONGEST_LOG} a load takes")

    async def _walked_back(self, stream_id: StreamID, tip: CID, blocks: dict[CID, bytes], asked: set[CID],
                           refused: list[str]) -> StreamState | None:
        """The log to `tip` fetched back to the genesis, or to commits this node holds, then replayed
        and verified (None, logged, if it does not hold up). An answer lists only the newest MAX_LOG
        commits: past them the walk follows prev links, asking holders for the window of the log
        that ends at the first commit it lacks (StreamNetwork.page) and fetching it, in bounded and
        paced rounds; a commit already asked for (`asked`) that did not come is not asked for again,
        as no holder had it. A log longer than LONGEST_LOG, or one that takes more than WALK_ROUNDS rounds
        (an honest holder gives full windows), is refused: a rogue cannot keep a load walking."""
        frontier, walked = tip, 0
        for _round in range(WALK_ROUNDS + 1):
            missing, steps = first_missing(blocks, frontier, LONGEST_LOG - walked)
            walked += steps
            if walked > LONGEST_LOG:
                return self._refused(stream_id, refused,
                                     f"the log to {tip} is longer than the {LONGEST_LOG} commits a load takes")
            if missing is None or missing in asked:  # the replay says what is wrong, if anything
                return await self._verified(blocks, tip, stream_id, "load")
            window = await self.network.page(stream_id, missing)
            wanted = [cid for cid in window if cid not in blocks and cid not in asked]
            fetched, _searched = await self.network.fetch(wanted)
            blocks.update(fetched)
            asked.update(wanted, [missing])
            frontier = missing
        return self._refused(stream_id, refused, f"the log to {tip} was not fetched in {WALK_ROUNDS} rounds of "
                                                 f"{stream_frames.MAX_LOG} commits")

    def _refused(self, stream_id: StreamID, refused: list[str], error: str) -> None:
        self._log.warning("stream_update_rejected", stream=stream_id.encode(), source="load", error=error)
        refused.append(error)
        return None

    async def _holds_rules(self, state: StreamState) -> bool:
        """A Model or MID log a peer sent must hold against what it names, else it is not a candidate
        (a newer but schema-breaking log must not hide an older valid one)."""
        try:
            if self.rules is not None:
                await self.rules.check(state)
        except CommitRejected as exc:
            self._log.warning("stream_update_rejected", stream=state.stream_id.encode(), source="load", error=str(exc))
            return False
        return True

    # -- pinning and the cache -----------------------------------------------------------------

    async def pin(self, stream_id: StreamID) -> StreamState:
        state = await self.load(stream_id)
        self.pins.pin(state, self.held(stream_id).blocks)
        self._log.info("stream_pinned", stream=stream_id.encode())
        return state

    def unpin(self, stream_id: StreamID) -> bool:
        pinned = self.pins.get(stream_id)
        if pinned is None:
            return False
        if stream_id not in self.cache:  # an unpinned stream lives on only in the cache
            self._cache(*pinned)
        self.pins.unpin(stream_id)
        self._log.info("stream_unpinned", stream=stream_id.encode())
        return True

    def evict(self, count: int | None = None, ids: list[StreamID] | None = None) -> list[StreamID]:
        evicted = self.cache.evict(count=count, ids=ids)
        self._log.info("streams_evicted", count=len(evicted))
        return evicted

    def cache_info(self) -> dict:
        return {"size": len(self.cache), "limit": self.cache.limit,
                "bytes": self.cache.bytes, "bytelimit": self.cache.byte_limit,
                "lru": [stream_id.encode() for stream_id in self.cache.lru_order()]}
