"""What a node pins and releases: the plan, the tracker that carries it out, the service that drives both."""

import asyncio
from types import SimpleNamespace

import pytest

from fakenet.node.cluster.allocation import allocate
from fakenet.node.cluster.errors import NotEnoughPeers
from fakenet.node.cluster.liveness import Beat
from fakenet.node.cluster.pinset import PinEntry
from fakenet.node.cluster.reconcile import View, plan
from fakenet.node.cluster.report import Report
from fakenet.node.cluster.service import ClusterService, ClusterSettings
from fakenet.node.cluster.store import ClusterStore
from fakenet.node.cluster.tracker import Tracker
from fakenet.node.streams import ControllerKey, StreamID, StreamUnavailable, apply_genesis, make_genesis


def stream_ids(count: int) -> list[str]:
    key = ControllerKey.from_seed(bytes(32))
    genesis = (make_genesis(key, {"n": n}, unique=n.to_bytes(12, "big")) for n in range(count))
    return [apply_genesis(cid, data, local=True).stream_id.encode() for cid, data in genesis]


IDS = stream_ids(6)
A, B, C = IDS[:3]


def item(stream_id: str, rmin: int = 2, rmax: int = 2) -> PinEntry:
    return PinEntry(stream_id, rmin, rmax, "", 1.0, 1, "pa")


def view(allocations, pinned=(), busy=(), owned=(), reports=None, items=None) -> View:
    items = items if items is not None else [item(s) for s in allocations]
    return View("me", items, allocations, set(pinned), set(busy), set(owned), reports or {})


def pinned_report(*ids) -> Report:
    return Report({s: "pinned" for s in ids})


def test_pins_what_is_allocated_here_and_not_held_or_in_progress():
    todo = plan(view({A: ["me", "p1"], B: ["me", "p1"], C: ["p1", "p2"]}, pinned=[B]))
    assert (todo.pin, todo.unpin) == ([A], [])
    assert plan(view({A: ["me", "p1"]}, busy=[A])).pin == []


def test_keeps_an_item_that_moved_away_until_its_new_holders_report_it_pinned():
    moved = {A: ["p1", "p2"]}
    assert plan(view(moved, pinned=[A], owned=[A], reports={"p1": pinned_report(A)})).unpin == []
    both = {"p1": pinned_report(A), "p2": pinned_report(A)}
    assert plan(view(moved, pinned=[A], owned=[A], reports=both)).unpin == [A]


def test_needs_only_rmin_confirmations_when_rmax_is_larger():
    items = [item(A, rmin=1, rmax=3)]
    todo = plan(view({A: ["p1", "p2", "p3"]}, pinned=[A], owned=[A], reports={"p2": pinned_report(A)},
                     items=items))
    assert todo.unpin == [A]


def test_releases_removed_items_at_once_and_never_touches_pins_it_did_not_make():
    todo = plan(view({}, pinned=[A, B], owned=[A], items=[]))
    assert todo.unpin == [A]


def test_an_item_unpinned_by_an_operator_and_allocated_here_is_pinned_again():
    assert plan(view({A: ["me"]}, owned=[A])).pin == [A]


class FakeStreams:
    """Just the part of StreamService the tracker uses."""

    class Pins:
        def __init__(self):
            self.ids: list[StreamID] = []

        def list(self):
            return list(self.ids)

        def pinned_blocks(self):
            return []

    def __init__(self, unavailable=()):
        self.pins, self.unavailable = self.Pins(), set(unavailable)

    async def pin(self, stream_id: StreamID):
        if stream_id.encode() in self.unavailable:
            raise StreamUnavailable(stream_id, stream_id.genesis, "(genesis) is held by no node reachable")
        self.pins.ids.append(stream_id)

    def unpin(self, stream_id: StreamID) -> bool:
        self.pins.ids.remove(stream_id)
        return True


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


async def run_pins(tracker: Tracker, *ids):
    for stream_id in ids:
        tracker.pin(stream_id, asyncio.create_task)
    await asyncio.gather(*tracker.pinning.values())


def test_tracker_owns_what_it_pinned_and_reports_failures_until_retry():
    clock, changes = Clock(), []
    tracker = Tracker(FakeStreams(unavailable=[B]), set(), retry_after=10, on_change=lambda: changes.append(1),
                      clock=clock)
    asyncio.run(run_pins(tracker, A, B))
    pinned = tracker.pinned()
    assert pinned == {A} and tracker.owned == {A} and len(changes) == 4, "saved before and after each pin"
    report = tracker.report([A, B, C], pinned)
    assert report.statuses == {A: "pinned", B: "pin_error", C: "unpinned"}
    assert "unavailable" in report.errors[B]
    clock.now = 9.9
    tracker.expire_failures()
    assert tracker.busy() == {B}
    clock.now = 10
    tracker.expire_failures()
    assert tracker.busy() == set()


def test_tracker_recover_forgets_failures_and_release_unpins_only_its_own():
    tracker = Tracker(FakeStreams(unavailable=[B]), set(), retry_after=10, on_change=lambda: None)
    asyncio.run(run_pins(tracker, A, B))
    assert tracker.recover(B) == [B] and tracker.busy() == set()
    tracker.release(A, tracker.pinned())
    assert tracker.pinned() == set() and tracker.owned == set()


@pytest.mark.parametrize("wire", [{}, {"pinned": [A], "pinning": [B], "pin_error": {C: "why"}}])
def test_reports_survive_the_wire(wire):
    report = Report.from_wire(wire)
    assert Report.from_wire(report.to_wire()) == report
    assert report.status_of(IDS[5]) == "remote"


# -- the service on a fake swarm and clock -------------------------------------------------------

class FakeSwarm:
    def __init__(self, peer_id: str):
        self.local = SimpleNamespace(identity=SimpleNamespace(peer_id=peer_id), announce="/ip4/127.0.0.1/tcp/4011")
        self.handlers, self.on_connect, self.sent = {}, [], []

    def handle(self, message_type, handler):
        self.handlers[message_type] = handler

    async def broadcast(self, message, exclude=None):
        self.sent.append(message)

    def spawn(self, coroutine):
        return asyncio.get_running_loop().create_task(coroutine)


def service(tmp_path, repin=True) -> tuple[ClusterService, Clock]:
    clock = Clock()
    cluster = ClusterService(FakeSwarm("me"), FakeStreams(), tmp_path, "me-name", ClusterSettings(4.0, repin), clock)
    return cluster, clock


async def hear(cluster: ClusterService, clock: Clock, *peers: str, seconds: float = 0.0):
    """Heartbeats from `peers` every interval for `seconds` (at least once)."""
    end = clock.now + seconds
    while True:
        for peer in peers:
            await cluster.receive_beat(Beat(peer, peer, "/ip4/127.0.0.2/tcp/4011", 1, int(clock.now * 100),
                                            0.0, "", Report()), SimpleNamespace(peer_id="relay"))
        if clock.now >= end:
            return
        clock.now += cluster.settings.interval


@pytest.mark.parametrize("repin", [True, False])
def test_a_down_holder_loses_its_items_only_when_repinning_is_on(tmp_path, repin):
    cluster, clock = service(tmp_path, repin)

    async def scenario():
        await hear(cluster, clock, "p1", "p2", "p3")
        entry = await cluster.add(A, 2, 2)
        first = allocate(A, ["me", "p1", "p2", "p3"], 2, 2)
        assert cluster.allocation(entry) == first == list(entry.allocations)
        gone = next(peer for peer in first if peer != "me")
        await hear(cluster, clock, *(p for p in ("p1", "p2", "p3") if p != gone), seconds=5.0)
        live = [p for p in ("me", "p1", "p2", "p3") if p != gone]
        return cluster.allocation(entry), first, live

    now, first, live = asyncio.run(scenario())
    assert now == (allocate(A, live, 2, 2) if repin else first)


def test_nothing_is_pinned_during_warm_up_and_too_few_peers_is_refused(tmp_path):
    cluster, clock = service(tmp_path)

    async def scenario():
        with pytest.raises(NotEnoughPeers, match="rmin is 2, 1 live"):
            await cluster.add(A, 2, 2)
        await cluster.add(A, 1, 1)
        assert cluster.reconcile() is None
        clock.now += cluster.settings.ttl
        return cluster.reconcile()

    assert asyncio.run(scenario()).pin == [A]
    assert ClusterStore(tmp_path / "cluster.json").load()[0].get(A).rmax == 1, "the write must be on disk"


def test_a_node_frozen_longer_than_the_ttl_warms_up_again_instead_of_taking_everything(tmp_path):
    cluster, clock = service(tmp_path)
    elsewhere = next(s for s in IDS if "me" not in allocate(s, ["me", "p1", "p2"], 1, 1))

    async def scenario():
        await hear(cluster, clock, "p1", "p2", seconds=cluster.settings.ttl)
        await cluster.add(elsewhere, 1, 1)
        assert cluster.reconcile().pin == []
        clock.now += 3 * cluster.settings.ttl  # SIGSTOP / docker pause: no rounds, no heartbeats heard
        frozen = cluster.reconcile()
        await hear(cluster, clock, "p1", "p2", seconds=cluster.settings.ttl)
        return frozen, cluster.reconcile()

    frozen, after = asyncio.run(scenario())
    assert frozen is None, "alone in its stale view, the node would have taken the item"
    assert after.pin == []


def test_an_rmin_no_cluster_could_ever_meet_is_the_requests_fault(tmp_path):
    """Found by schemathesis on 9094: rmin 712 on a one-peer cluster was a 503 (retry later); it is
    a client error (400), while too few *live* peers of a big enough cluster stays a 503."""
    from fakenet.node.cluster.errors import ClusterTooSmall

    cluster, _clock = service(tmp_path)
    with pytest.raises(ClusterTooSmall, match="only ever had 1 peer"):
        asyncio.run(cluster.add(A, 712, 712))
