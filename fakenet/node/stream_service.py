"""Who holds which stream, and how a node gets one: cache, then pin store, then the network.

Unpinned streams live only in the in-memory LRU cache (evicted or restarted away, they are gone
from this node, as on Ceramic); pinned ones also live in the SQLite pin store and survive
kill -9. A node that loads a stream caches it and from then on serves it to others.
"""

from __future__ import annotations

from multiformats import CID

from fakenet.node import logs
from fakenet.node.streams import (CachedStream, CommitRejected, ControllerKey, MissingCommit, PinStore, StreamCache,
                                  StreamID, StreamState, StreamUnavailable, apply_commit, apply_genesis, codec,
                                  make_genesis, make_update, pick, rebuild)


class StreamService:
    def __init__(self, key: ControllerKey, cache: StreamCache, pins: PinStore, sync_timeout: float = 3.0):
        self.key, self.cache, self.pins, self.sync_timeout = key, cache, pins, sync_timeout
        self.network = None  # StreamNetwork, wired by the node
        self.anchors = None  # AnchorService, wired by the node
        self.rules = None  # ModelRules (model_rules.py), wired by the node: Models and MIDs checked against what they name
        self.watchers = []  # told of every state this node accepts (`note(state)`): the model index, the event feed
        self._log = logs.get()

    # -- holding -------------------------------------------------------------------------------

    def held(self, stream_id: StreamID) -> CachedStream | None:
        """What this node holds of a stream, without counting as a use of the cache."""
        entry = self.cache.peek(stream_id)
        if entry is not None:
            return entry
        pinned = self.pins.get(stream_id)
        return CachedStream(*pinned) if pinned else None

    def blocks_for(self, cids: list[CID]) -> dict[CID, bytes]:
        found = {}
        for entry in self.cache.entries():
            found.update({cid: entry.blocks[cid] for cid in cids if cid in entry.blocks})
        for cid in cids:
            # Commits as this node stores them (a DAG-JOSE commit travels as its record: JWS and linked
            # block, which get_block would cut down to the bare JWS), then raw blocks: cluster pins.
            data = self.pins.block(cid) if cid not in found else None
            if cid not in found and (data is not None or (data := self.pins.get_block(cid)) is not None):
                found[cid] = data
        return found

    def store(self, state: StreamState, new_blocks: dict[CID, bytes]) -> None:
        """Record a newer state wherever the stream is held (cache and/or pin store)."""
        entry = self.cache.peek(state.stream_id)
        if entry is not None:
            self.cache.replace(state, {**entry.blocks, **new_blocks})
        if self.pins.is_pinned(state.stream_id):
            self.pins.update(state, new_blocks)

    def _cache(self, state: StreamState, blocks: dict[CID, bytes]) -> None:
        for evicted in self.cache.put(state, blocks):
            self._log.info("stream_evicted", stream=evicted.encode(), pinned=self.pins.is_pinned(evicted))

    # -- creating and updating -------------------------------------------------------------------

    async def create(self, content, *, family=None, tags=None, pin=False) -> StreamState:
        cid, data = make_genesis(self.key, content, family=family, tags=tags)
        return await self.create_from_genesis(cid, data, pin=pin)

    async def create_from_genesis(self, cid: CID, data: bytes, *, pin=False) -> StreamState:
        codec.decode(cid, data)
        state = apply_genesis(cid, data, local=True)
        await self._accept(state)
        existing = self.held(state.stream_id)
        if existing is None:
            self._cache(state, {cid: data})
        if pin:
            await self.pin(state.stream_id)
        await self._request_anchor(state)
        self._log.info("stream_created", stream=state.stream_id.encode(), pinned=pin)
        return self.held(state.stream_id).state

    async def update(self, stream_id: StreamID, content) -> StreamState:
        state = await self.load(stream_id)
        cid, data = make_update(self.key, state, content)
        return await self.apply(stream_id, cid, data)

    async def apply(self, stream_id: StreamID, cid: CID, data: bytes) -> StreamState:
        """A client's (signed) update commit: validate, store, gossip, ask for an anchor."""
        codec.decode(cid, data)
        current = await self.load(stream_id)
        state = apply_commit(current, cid, data, local=True)
        await self._accept(state, current)
        self.store(state, {cid: data})
        self.cache.get(stream_id)  # an update is a use
        await self.network.publish_update(stream_id, state.tip, self.held(stream_id).blocks)
        await self._request_anchor(state)
        self._log.info("stream_updated", stream=stream_id.encode(), tip=str(state.tip))
        return state

    def _held_state(self, stream_id: StreamID) -> StreamState | None:
        entry = self.held(stream_id)
        return entry.state if entry else None

    async def _accept(self, state: StreamState, before: StreamState | None = None) -> None:
        """A Model or MID must hold against what it names before it is kept; an accepted one is indexed."""
        if self.rules is not None:
            await self.rules.check(state, before)
        self._noted(state)

    def _noted(self, state: StreamState) -> None:
        for watcher in self.watchers:
            watcher.note(state)

    async def _request_anchor(self, state: StreamState) -> None:
        if self.anchors.request(state.stream_id.encode(), str(state.tip)):
            await self.network.publish_anchor_request(state.stream_id.encode(), str(state.tip))

    def _anchor_check(self, stream_id: StreamID, tip: CID, proof: dict) -> bool:
        """Peers' anchors count only once proven against this node's own chain."""
        return self.anchors is not None and self.anchors.proven(stream_id, tip, proof)

    def receive_update(self, stream_id: StreamID, tip: CID, blocks: dict[CID, bytes], source: str) -> None:
        """Gossip from a peer: holders move to the winning log; others only pass it on."""
        held = self.held(stream_id)
        if held is None or held.state.tip == tip:
            return
        merged = {**held.blocks, **blocks}
        try:
            candidate = rebuild(merged, tip, stream_id=stream_id, anchor_check=self._anchor_check)
        except (CommitRejected, MissingCommit) as exc:
            self._log.warning("stream_update_rejected", stream=stream_id.encode(), source=source, error=str(exc))
            return
        winner = pick(held.state, candidate)
        refused = self.rules.holds(winner, held.state, self._held_state) if self.rules and winner is candidate else None
        if refused:
            self._log.warning("stream_update_rejected", stream=stream_id.encode(), source=source, error=refused)
            return
        if winner.tip != held.state.tip:
            self.store(winner, {c: merged[c] for c in (e.cid for e in winner.log) if c not in held.blocks})
            self._noted(winner)
            self._log.info("stream_tip_moved", stream=stream_id.encode(), tip=str(winner.tip), source=source)

    # -- loading ---------------------------------------------------------------------------------

    async def load(self, stream_id: StreamID) -> StreamState:
        entry = self.cache.get(stream_id)
        if entry is not None:
            return entry.state
        pinned = self.pins.get(stream_id)
        if pinned is not None:
            self._cache(*pinned)
            return pinned[0]
        state, blocks = await self._load_from_network(stream_id)
        self._cache(state, blocks)
        self._log.info("stream_loaded", stream=stream_id.encode(), tip=str(state.tip), commits=len(state.log))
        return state

    async def _load_from_network(self, stream_id: StreamID) -> tuple[StreamState, dict[CID, bytes]]:
        answer, searched = await self.network.query(stream_id)
        if answer is None:
            found_none = "no holder answered" if searched.nodes is None else "is held by no node reachable from here"
            raise StreamUnavailable(stream_id, stream_id.genesis, f"(genesis) {found_none} {searched.describe()}")
        cids = [codec.as_cid(c) for c in answer["log"]]
        blocks, searched = await self.network.fetch(cids)
        missing = [cid for cid in cids if cid not in blocks]
        if missing:
            raise StreamUnavailable(stream_id, missing[0], f"could not be fetched {searched.describe()}")
        try:
            state = rebuild(blocks, codec.as_cid(answer["tip"]), stream_id=stream_id, anchor_check=self._anchor_check)
        except MissingCommit as exc:
            raise StreamUnavailable(stream_id, exc.cid, "is missing from what peers sent") from exc
        await self._accept(state)
        return state, blocks

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
                "lru": [stream_id.encode() for stream_id in self.cache.lru_order()]}
