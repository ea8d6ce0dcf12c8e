"""The cluster peer inside a node: pinset, failure detector, tracker and gossip, driven by two loops.

Every `interval` (TTL/4) the node floods a heartbeat carrying its pinset digest and the
status of the items allocated to it. Every `tick` (interval/2), or at once when something
changed, it recomputes allocations from its live peer set and pins or releases items
(see reconcile.py). For the first TTL after start, and after being frozen for longer than
the TTL, it only listens: until then its live set is incomplete or stale, and acting on it
would pin everything on a node that thinks it is alone.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from fakenet.node import clock as node_clock
from fakenet.node.errors import NodeConfigError
from fakenet.node import logs
from fakenet.node.cluster.auth import ClusterSecret
from fakenet.node.cluster.allocation import EVERYWHERE, allocate, check_factors
from fakenet.node.cluster.errors import ClusterTooSmall, NotEnoughPeers, NotInPinset
from fakenet.node.cluster.gossip import ClusterGossip
from fakenet.node.cluster.liveness import Beat, FailureDetector
from fakenet.node.cluster.pinset import PinEntry
from fakenet.node.cluster.reconcile import Plan, View, plan
from fakenet.node.cluster.report import Report
from fakenet.node.cluster.store import ClusterStore
from fakenet.node.cluster.tracker import Tracker


@dataclass(frozen=True)
class ClusterSettings:
    ttl: float = 5.0  # a peer silent this long is down and its items are re-allocated
    repin: bool = True  # ipfs-cluster's default is off; fakenet's is on
    secret: ClusterSecret = ClusterSecret.derive(None, None, "fakenet")  # who is a member (auth.py)

    def __post_init__(self):
        if not self.ttl > 0:
            raise NodeConfigError(f"--cluster-ttl must be a positive number of seconds, got {self.ttl}")

    @property
    def interval(self) -> float:
        return self.ttl / 4  # three heartbeats may be lost before a live peer counts as down

    @property
    def tick(self) -> float:
        return self.interval / 2

    @property
    def retry_after(self) -> float:
        return 2 * self.ttl


class ClusterService:
    def __init__(self, swarm, streams, datadir: Path, name: str, settings: ClusterSettings = ClusterSettings(),
                 clock: Callable[[], float] = node_clock.monotonic):
        self.swarm, self.name, self.settings, self.clock = swarm, name, settings, clock
        self.peer_id, self.announce = swarm.local.identity.peer_id, swarm.local.announce
        self.store = ClusterStore(datadir / "cluster.json")
        self.pinset, owned = self.store.load()
        self.detector = FailureDetector(settings.ttl, clock)
        self.tracker = Tracker(streams, owned, settings.retry_after, self._changed, clock)
        self.gossip = ClusterGossip(swarm, self, settings.secret)
        self.boot, self._seq = int(node_clock.wall() * 1e9), 0
        self.started = self._last_round = clock()
        self._wake = asyncio.Event()
        self._live_before: list[str] = []
        self._synced_at: dict[str, float] = {}
        self._log = logs.get()

    def start(self) -> None:
        self.swarm.spawn(self._heartbeats())
        self.swarm.spawn(self._reconciler())

    # -- views -----------------------------------------------------------------------------

    def live_peers(self) -> list[str]:
        return sorted({self.peer_id, *self.detector.live()})

    def allocation(self, entry: PinEntry) -> list[str]:
        if not self.settings.repin and entry.allocations:
            return list(entry.allocations)  # fixed when written: a down holder keeps its items
        return allocate(entry.stream_id, self.live_peers(), entry.rmin, entry.rmax)

    def peer_name(self, peer_id: str) -> str:
        beat = self.detector.last(peer_id)
        return self.name if peer_id == self.peer_id else (beat.name if beat else peer_id)

    def report(self, pinned: set[str] | None = None) -> Report:
        """This node's status of the items allocated to it, as its heartbeats carry it."""
        mine = [entry.stream_id for entry in self.pinset.items() if self.peer_id in self.allocation(entry)]
        if pinned is None:  # the pin store's queries, only for items it would report on
            pinned = self.tracker.pinned() if mine else set()
        return self.tracker.report(mine, pinned)

    def warming_up(self) -> bool:
        return self.clock() - self.started < self.settings.ttl

    # -- operations ----------------------------------------------------------------------------

    async def add(self, stream_id: str, rmin: int, rmax: int, name: str = "") -> PinEntry:
        check_factors(rmin, rmax)
        live = self.live_peers()
        if rmin != EVERYWHERE and len(live) < rmin:
            known = len({self.peer_id, *self.detector.known()})
            if rmin > known:
                raise ClusterTooSmall(stream_id, rmin, [self.peer_name(peer) for peer in live], known)
            raise NotEnoughPeers(stream_id, rmin, [self.peer_name(peer) for peer in live])
        allocations = allocate(stream_id, live, rmin, rmax)
        entry = self.pinset.add(stream_id, rmin, rmax, name, self.peer_id, node_clock.wall(), allocations)
        await self._wrote(entry)
        return entry

    async def remove(self, stream_id: str) -> PinEntry:
        """Remove an item; returns the version that was removed."""
        current = self.pinset.get(stream_id)
        if current is None:
            raise NotInPinset(stream_id)
        await self._wrote(self.pinset.remove(stream_id, self.peer_id, node_clock.wall()))
        return current

    async def recover(self, stream_id: str | None) -> None:
        """Retry failed pins now, here and on every peer (ipfs-cluster's `recover`)."""
        if stream_id is not None and self.pinset.get(stream_id) is None:
            raise NotInPinset(stream_id)
        self.receive_recover(stream_id)
        await self.gossip.publish_recover(stream_id)

    def store_blocks(self, blocks: dict) -> None:
        """Keep blocks added here (`/add`) in this node's store, where allocated peers fetch them."""
        for cid, data in blocks.items():
            self.tracker.streams.pins.put_block(data, cid.codec.name)

    async def _wrote(self, entry: PinEntry) -> None:
        self._changed()
        self._log.info("cluster_pinset_write", stream=entry.stream_id, removed=entry.removed, clock=entry.clock)
        await self.gossip.publish_writes([entry])

    def _changed(self) -> None:
        self.store.save(self.pinset, self.tracker.owned)
        self._wake.set()

    # -- from the gossip -----------------------------------------------------------------------

    def receive_entries(self, entries: list[PinEntry]) -> list[PinEntry]:
        changed = self.pinset.merge_all(entries)
        if changed:
            self._changed()
            self._log.info("cluster_pinset_merged", changed=len(changed), digest=self.pinset.digest())
        return changed

    async def receive_beat(self, beat: Beat, conn) -> None:
        previous = self.detector.last(beat.peer_id)
        if not self.detector.beat(beat):
            return
        if beat.peer_id not in self._live_before:
            self._wake.set()  # a peer (re)appeared: allocations change now, not at the next tick
        settled = previous is not None and previous.digest == beat.digest
        if conn.peer_id == beat.peer_id and settled and beat.digest != self.pinset.digest():
            await self._repair(conn)

    async def _repair(self, conn) -> None:
        """Send our whole pinset to a direct peer whose settled digest differs, at most once per two intervals."""
        now = self.clock()
        if now - self._synced_at.get(conn.peer_id, float("-inf")) >= 2 * self.settings.interval:
            self._synced_at[conn.peer_id] = now
            await self.gossip.send_state(conn)

    def receive_recover(self, stream_id: str | None) -> None:
        if self.tracker.recover(stream_id):
            self._wake.set()

    # -- loops -----------------------------------------------------------------------------

    async def _heartbeats(self) -> None:
        while True:
            self._seq += 1
            await self.gossip.publish_beat(Beat(self.peer_id, self.name, self.announce, self.boot, self._seq,
                                                node_clock.wall(), self.pinset.digest(), self.report()))
            await asyncio.sleep(self.settings.interval)  # a timer, not a wait for a condition

    async def _reconciler(self) -> None:
        while True:
            try:  # timeout(), not wait_for(): no task of its own for the wait, at every tick
                async with asyncio.timeout(self.settings.tick):
                    await self._wake.wait()
            except asyncio.TimeoutError:
                pass  # the periodic tick: liveness changes by the passing of time alone
            self._wake.clear()
            try:
                self.reconcile()
            except Exception as exc:  # one bad round must not stop the cluster on this node for good
                self._log.error("cluster_reconcile_failed", exc_info=exc)

    def reconcile(self) -> Plan | None:
        self._note_freeze()
        self._note_liveness()
        if self.warming_up():
            return None
        self.tracker.expire_failures()
        # With no item and none owned the plan is empty whatever is pinned: skip the store's queries.
        pinned = self.tracker.pinned() if self.pinset.items() or self.tracker.owned else set()
        todo = plan(self._view(pinned))
        for stream_id in todo.pin:
            self.tracker.pin(stream_id, self.swarm.spawn)
        for stream_id in todo.unpin:
            self.tracker.release(stream_id, pinned)
        return todo

    def _view(self, pinned: set[str]) -> View:
        items = self.pinset.items()
        reports = {peer: self.detector.last(peer).report for peer in self.detector.live()}
        return View(self.peer_id, items, {entry.stream_id: self.allocation(entry) for entry in items}, pinned,
                    self.tracker.busy(), set(self.tracker.owned), reports)

    def _note_freeze(self) -> None:
        """After a freeze longer than the TTL (a paused container, a stopped process) every peer looks
        silent only because we were not listening: warm up again instead of taking every item."""
        now = self.clock()
        if now - self._last_round > self.settings.ttl:
            self._log.info("cluster_resumed", frozen_s=round(now - self._last_round, 2))
            self.started = now
        self._last_round = now

    def _note_liveness(self) -> None:
        live = self.detector.live()
        for peer in sorted(set(self._live_before) - set(live)):
            self._log.info("cluster_peer_down", peer=self.peer_name(peer), peerid=peer,
                           silent_s=round(self.detector.silence(peer), 2), ttl=self.settings.ttl)
        for peer in sorted(set(live) - set(self._live_before)):
            self._log.info("cluster_peer_up", peer=self.peer_name(peer), peerid=peer)
        self._live_before = live
