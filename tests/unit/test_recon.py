"""Recon's reconciliation (fakenet/node/ceramic_one/recon.py) between two nodes' real event feeds,
over an in-memory link; the events themselves are stand-ins here (their storing is ingest.py's
and the integration tests'), so what is checked is which keys cross and what a round costs."""

import asyncio
import random

import pytest
from multiformats import CID

from fakenet.node.ceramic_one import event_id, ranges
from fakenet.node.ceramic_one.feed import SEP, EventFeed
from fakenet.node import clock
from fakenet.node.ceramic_one.recon import LEAF, MAX_RANGES, RESEND, WORK_BURST, Recon
from fakenet.node.streams import StreamID
from fakenet.node.streams.streamid import MODEL

MODEL_ID = StreamID(MODEL, CID.decode("bagcqceraplay4erv6l32qrki522uhiz7rf46xccwniw7ypmvs3cvu2b3oulq"))
OTHER_MODEL = StreamID(MODEL, CID.decode("bafyreihu557meceujusxajkaro3epfe6nnzjgbjaxsapgtml7ox5ezb5qy"))


class Swarm:
    def __init__(self):
        self.handlers, self.on_connect, self.on_disconnect, self.connections, self.tasks = {}, [], [], {}, []

    def handle(self, message_type, handler):
        self.handlers[message_type] = handler

    def spawn(self, coroutine):
        task = asyncio.ensure_future(coroutine)
        self.tasks.append(task)
        return task


async def settle(*recons):
    """Until no task either side spawned (pushes of events) is left running."""
    while pending := [t for r in recons for t in r.swarm.tasks if not t.done()]:
        await asyncio.gather(*pending)


class Streams:
    watchers = []

    async def blocks_for(self, cids):
        return {}  # no Model to send along with the stand-in events


class Link:
    """One direction of an in-memory connection: what is sent is handled by the other side at once."""

    def __init__(self, name, to):
        self.name, self.to, self.sent = name, to, []
        self.id, self.close_reason = id(self), None

    def close(self, reason):
        self.close_reason = reason

    async def send(self, message):
        self.sent.append(message)
        await self.to.swarm.handlers[message["t"]](self.back, message)


class StandInRecon(Recon):
    """Values are their keys: a key sent as a value is inserted into the feed as the event."""

    async def _cars(self, keys):
        return {key: key for key in keys}

    async def _on_values(self, conn, message, prefix):
        for key, _ in message["v"]:
            insert(self.feed, bytes.fromhex(key))


def insert(feed, key: bytes) -> None:
    feed.db.execute("INSERT OR IGNORE INTO events (cid, id, stream, controller, block) VALUES (?, ?, 's', 'c', x'')",
                    (key.hex(), key))


def node(tmp_path, name, interests=(MODEL_ID,), kind=None):
    feed = EventFeed(tmp_path / f"{name}.sqlite", event_id.LOCAL_BASE + 7)
    for model in interests:
        feed.register(SEP, model.encode())
    recon = (kind or StandInRecon)(Swarm(), feed, Streams())
    recon.swarm.name = name
    return recon


def keys_of(recon, model=MODEL_ID, count=0, rng=None):
    prefix = event_id.interest_prefix(recon.feed.network_id, SEP, model.to_bytes())
    return [prefix + rng.randbytes(40) for _ in range(count)]


def connect(a, b):
    ab, ba = Link(b.swarm.name, b), Link(a.swarm.name, a)
    ab.back, ba.back = ba, ab
    return ab, ba


def held(recon) -> set[bytes]:
    return {row[0] for row in recon.feed.db.execute("SELECT id FROM events")}


def sync(a, b):
    ab, ba = connect(a, b)

    async def round_trip():
        await a._offer(ab, a._prints())
        await settle(a, b)

    asyncio.run(round_trip())
    return ab.sent + ba.sent


def listed(frames) -> int:
    return sum(len(f.get("k", [])) + len(f.get("v", [])) for f in frames)


@pytest.mark.parametrize("shared", [2_000, 8_000])
def test_a_round_costs_the_difference_not_the_set(tmp_path, shared):
    rng = random.Random(26)
    a, b = node(tmp_path, "a"), node(tmp_path, "b")
    common = keys_of(a, count=shared, rng=rng)
    only_a, only_b = keys_of(a, count=3, rng=rng), keys_of(a, count=2, rng=rng)
    for key in common + only_a:
        insert(a.feed, key)
    for key in common + only_b:
        insert(b.feed, key)
    frames = sync(a, b)
    assert held(a) == held(b) == set(common + only_a + only_b)
    assert listed(frames) <= 2 * LEAF * 5 + 5, f"{listed(frames)} keys crossed for a difference of 5"
    values = [key for f in frames if f["t"] == "rcv" for key, _ in f["v"]]
    assert sorted(values) == sorted(k.hex() for k in only_a + only_b), "exactly the missing events are sent"


def test_equal_sets_cost_one_frame_and_a_new_node_gets_everything(tmp_path):
    rng = random.Random(7)
    a, b, empty = node(tmp_path, "a"), node(tmp_path, "b"), node(tmp_path, "c")
    for key in keys_of(a, count=600, rng=rng):
        insert(a.feed, key)
        insert(b.feed, key)
    assert len(sync(a, b)) == 1
    sync(a, empty)
    assert held(empty) == held(a)


def test_a_peer_without_the_interest_neither_answers_nor_takes(tmp_path):
    rng = random.Random(8)
    a, stranger = node(tmp_path, "a"), node(tmp_path, "s", interests=(OTHER_MODEL,))
    for key in keys_of(a, count=10, rng=rng):
        insert(a.feed, key)
    frames = sync(a, stranger)
    assert [f["t"] for f in frames] == ["rcr"] and held(stranger) == set()


@pytest.mark.parametrize("frame, why", [
    ({"t": "rcr", "r": [["00", "ff", 1, "00" * 32]]}, "outside the interest"),
    ({"t": "rcr", "r": "lo"}, "must be a list"),
    ({"t": "rcr", "r": [[None, None, 0, "00" * 32]] * 65}, "at most 64"),
    ({"t": "rck", "lo": "zz", "hi": "00", "k": []}, "non-hexadecimal"),
    ({"t": "rcw", "k": ["ab"] * (LEAF + 1)}, f"at most {LEAF}"),
    ({"t": "rcw", "k": ["ab"]}, "outside the range"),
])
def test_malformed_frames_are_refused_before_they_cause_work(tmp_path, frame, why):
    a, b = node(tmp_path, "a"), node(tmp_path, "b")
    prefix, _ = ranges.interest_range(next(iter(a.prefixes())))
    ab, _ = connect(b, a)
    with pytest.raises(ValueError, match=why):
        asyncio.run(a.swarm.handlers[frame["t"]](ab.back, {**frame, "i": prefix.hex()}))


def test_overlapping_ranges_are_refused(tmp_path):
    a = node(tmp_path, "a")
    lo, hi = ranges.interest_range(next(iter(a.prefixes())))
    entry = [lo.hex(), hi.hex(), 1, "00" * 32]
    _, ba = connect(node(tmp_path, "b"), a)
    with pytest.raises(ValueError, match="without overlap"):
        asyncio.run(a.swarm.handlers["rcr"](ba, {"t": "rcr", "i": lo.hex(), "r": [entry, entry]}))


@pytest.fixture
def frozen_clock():
    """Time stands still: what a sync costs must fit the burst alone, no refill to hide in."""
    clock.install(lambda: 1000.0, lambda: 1.7e9)
    yield
    clock.reset()


@pytest.mark.parametrize("have_some", [False, True])
def test_an_honest_sync_of_a_second_s_worth_of_events_fits_the_work_budget(tmp_path, frozen_clock, have_some):
    """1,000 events/s per peer is the goal (issue 26); the budget must not cut an honest peer off there."""
    rng = random.Random(1000)
    a, b = node(tmp_path, "a"), node(tmp_path, "b")
    for key in keys_of(a, count=1000, rng=rng):
        insert(a.feed, key)
        if have_some and rng.random() < 0.5:
            insert(b.feed, key)
    ab, ba = connect(a, b)

    async def round_trip():
        await b._offer(ba, b._prints())
        await settle(a, b)

    asyncio.run(round_trip())
    assert held(b) == held(a) and ab.close_reason is ba.close_reason is None


def test_a_peer_flooding_range_frames_is_cut_off_within_its_burst(tmp_path, frozen_clock):
    rng = random.Random(24)
    a, rogue = node(tmp_path, "a"), node(tmp_path, "rogue")
    for key in keys_of(a, count=300, rng=rng):
        insert(a.feed, key)
    lo, hi = ranges.interest_range(next(iter(a.prefixes())))
    bounds = [lo] + sorted(keys_of(a, count=MAX_RANGES - 1, rng=rng)) + [hi]
    frame = {"t": "rcr", "i": lo.hex(), "r": [[x.hex(), y.hex(), 1, "11" * 32] for x, y in zip(bounds, bounds[1:])]}
    _, rogue_link = connect(rogue, a)  # a's end of the link: what a sends goes to the rogue
    rogue.swarm.handlers = {t: (lambda *_: asyncio.sleep(0)) for t in ("rcr", "rck", "rcw", "rcv")}  # it never answers

    async def flood():
        for sent in range(1, 10_000):
            await a.swarm.handlers["rcr"](rogue_link, frame)
            if rogue_link.close_reason:
                return sent

    sent = asyncio.run(flood())
    assert sent is not None and sent <= WORK_BURST // MAX_RANGES + 1, f"cut off after {sent} frames"
    assert "work budget" in rogue_link.close_reason and a.counts[("peer_over_budget_count_total", "rogue", "")] >= 1


class Slow(StandInRecon):
    """A peer whose events are still on their way: it receives values but stores none yet."""

    received = 0

    async def _on_values(self, conn, message, prefix):
        self.received += len(message["v"])


def test_an_event_on_its_way_to_a_peer_is_not_sent_again_until_resend_has_passed(tmp_path):
    now = [1000.0]
    clock.install(lambda: now[0], lambda: 1.7e9)
    try:
        rng = random.Random(5)
        a, b = node(tmp_path, "a"), node(tmp_path, "b", kind=Slow)
        for key in keys_of(a, count=300, rng=rng):
            insert(a.feed, key)
        ab, ba = connect(a, b)

        async def b_offers():  # b's round: it still shows none of them
            await b._offer(ba, b._prints())
            await settle(a, b)

        asyncio.run(b_offers())
        assert b.received == 300
        now[0] += RESEND / 2
        asyncio.run(b_offers())
        assert b.received == 300, "events in flight were sent again"
        now[0] += RESEND
        asyncio.run(b_offers())
        assert b.received == 600, "a peer that still lacks them gets them again once RESEND has passed"
        assert a.counts[("value_sent_count_total", "b", "")] == 600
    finally:
        clock.reset()
