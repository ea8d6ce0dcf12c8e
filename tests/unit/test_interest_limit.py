"""Interests a client registers on 5101 (no auth, as ceramic-one's) are bounded, and what they cost
the node is counted, not timed: the feed's cap and its idempotence (feed.py), what a register
and Recon's rounds ask SQLite for (recon.py), and that the default cap keeps a round's offers
within a peer's work budget."""

import pytest
from multiformats import CID

from fakenet.node import settings
from fakenet.node.ceramic_one import event_id, ranges
from fakenet.node.ceramic_one.feed import DEFAULT_INTEREST_LIMIT, SEP, EventFeed, TooManyInterests
from fakenet.node.ceramic_one.recon import ROUND, WORK_RATE, Recon, _cost
from fakenet.node.streams import StreamID
from fakenet.node.streams.streamid import MODEL

GENESIS = CID.decode("bagcqceraplay4erv6l32qrki522uhiz7rf46xccwniw7ypmvs3cvu2b3oulq")


def model(n: int) -> str:
    """A distinct Model stream id per n (the interest needs only its bytes, not the Model)."""
    return StreamID(MODEL, CID("base32", 1, GENESIS.codec, GENESIS.digest[:-4] + n.to_bytes(4, "big"))).encode()


def feed(tmp_path, limit, count=0) -> EventFeed:
    events = EventFeed(tmp_path / "events.sqlite", event_id.LOCAL_BASE + 7, interest_limit=limit)
    for n in range(count):
        events.register(SEP, model(n))
    return events


class Statements:
    """Every SQL statement the feed's connection runs while it is entered."""

    def __init__(self, events: EventFeed):
        self.db, self.seen = events.db, []

    def __enter__(self):
        self.db.set_trace_callback(self.seen.append)
        return self.seen

    def __exit__(self, *_):
        self.db.set_trace_callback(None)


class Swarm:
    def __init__(self):
        self.handlers, self.on_connect, self.on_disconnect, self.connections = {}, [], [], {}

    def handle(self, message_type, handler):
        self.handlers[message_type] = handler

    def spawn(self, coroutine):
        coroutine.close()  # the offers themselves are not what is counted here


class Streams:
    watchers = []


class CountingPrints(ranges.RunningPrints):
    def __init__(self):
        super().__init__()
        self.calls = 0

    def of(self, db, lo, hi):
        self.calls += 1
        return super().of(db, lo, hi)


def recon(events: EventFeed) -> Recon:
    node = Recon(Swarm(), events, Streams())
    node._running = CountingPrints()
    return node


def test_a_new_interest_past_the_limit_is_refused_saying_the_limit_and_how_to_raise_it(tmp_path):
    events = feed(tmp_path, limit=3, count=3)
    with pytest.raises(TooManyInterests) as refused:
        events.register(SEP, model(3))
    assert "limit of 3 interests" in str(refused.value) and "--interest-limit" in str(refused.value)
    assert "FAKENET_INTEREST_LIMIT" in str(refused.value)
    assert len(events.interests()) == 3


def test_an_interest_held_is_registered_again_at_the_limit_and_after_a_restart(tmp_path):
    events = feed(tmp_path, limit=2, count=2)
    events.register(SEP, model(1))
    events.close()
    reopened = feed(tmp_path, limit=2)
    reopened.register(SEP, model(0))  # idempotent, never refused
    with pytest.raises(TooManyInterests):  # the cap counts what the table held before the restart
        reopened.register(SEP, model(2))
    assert reopened.interests() == sorted((SEP, model(n)) for n in range(2))


def test_registering_costs_one_insert_whatever_the_number_held(tmp_path):
    events = feed(tmp_path, limit=600, count=500)
    with Statements(events) as seen:
        events.register(SEP, model(500))
    assert [s.split()[0] for s in seen] == ["INSERT"], seen
    with Statements(events) as seen:
        events.register(SEP, model(7))
    assert seen == [], "an interest held is not written again"


def test_an_idle_node_with_many_interests_and_no_peer_does_no_per_interest_work(tmp_path):
    node = recon(feed(tmp_path, limit=500, count=500))
    with Statements(node.feed) as seen:
        for _ in range(5):
            node._round()
            node.prefixes()  # the loop's question each round: is there any interest
    assert seen == [] and node._running.calls == 0, f"{len(seen)} statements, {node._running.calls} prints read"


def test_with_a_peer_a_round_rereads_the_prints_only_after_the_feed_changed(tmp_path):
    node = recon(feed(tmp_path, limit=600, count=500))
    node.swarm.connections["peer"] = "peer"
    node._round()
    assert node._running.calls == 500
    with Statements(node.feed) as seen:
        node._round()
        node._round()
    assert node._running.calls == 500 and len(seen) == 2, "an unchanged feed: one highwater read a round"
    node.feed.register(SEP, model(500))
    node._round()
    assert node._running.calls == 1001 and len(node._prints()) == 501


def test_a_peer_frame_asks_for_the_prefixes_without_rebuilding_them(tmp_path):
    node = recon(feed(tmp_path, limit=600, count=500))
    first = node.prefixes()
    with Statements(node.feed) as seen:
        assert node.prefixes() is first
    assert seen == []
    node.feed.register(SEP, model(500))
    assert len(node.prefixes()) == 501


def test_the_default_limit_keeps_a_rounds_offers_within_half_a_peers_budget(tmp_path):
    assert settings.Settings._field_defaults["interest_limit"] == DEFAULT_INTEREST_LIMIT
    node = recon(feed(tmp_path, limit=1, count=1))
    node.swarm.connections["peer"] = "peer"
    units_per_interest = _cost(node._prints()[0])
    assert DEFAULT_INTEREST_LIMIT * units_per_interest / ROUND <= WORK_RATE / 2

