"""Recon's intake (fakenet/node/ceramic_one/recon.py, ingest.py) on one real in-process node: a
batch of events from a peer is taken in whole, except the events that do not verify, each refused
alone (a forged signature, bytes that are not their CID, content its Model's schema refuses, an
event of another Model)."""

import asyncio
import dataclasses

import dag_cbor
import jsonpatch
import pytest
from multiformats import varint

from fakenet.node.ceramic_one import event_id, events, ingest, recon, stream_states
from fakenet.node.ceramic_one.feed import SEP
from fakenet.node import stream_service
from fakenet.node.daemon import Node
from fakenet.node.settings import Settings
from fakenet.node.streams import ControllerKey, LogEntry, StreamID, apply_genesis, jose, make_anchor
from support.ceramic_models import definition, mid_genesis, mid_update, model_genesis

ALICE, MALLORY = ControllerKey.from_seed(bytes(range(32))), ControllerKey.from_seed(bytes(range(1, 33)))


class Peer:
    name, id = "peer", 1


def note(model, n: int, key=ALICE, content=None):
    return mid_genesis(key, model.stream_id.encode(), content or {"title": f"note {n}"}, unique=n.to_bytes(12, "big"))


def forged_signature(model, n: int):
    """Alice's event with one bit of its signature flipped: the JWS still hashes to its (new) CID."""
    cid, record = note(model, n)
    jws = jose.unpack(cid, record).jws
    envelope = dag_cbor.decode(jws)
    signature = bytearray(envelope["signatures"][0]["signature"])
    signature[0] ^= 1
    envelope["signatures"][0]["signature"] = bytes(signature)
    return jose.pack(dag_cbor.encode(envelope), jose.unpack(cid, record).linked)


def entry(network_id: int, model, cid, car: bytes) -> list[str]:
    key = event_id.build(network_id, SEP, model.stream_id.to_bytes(), ALICE.did, cid, cid)
    return [key.hex(), car.hex()]


def not_its_cid(network_id: int, model, n: int) -> list[str]:
    """A CAR whose root block is another event's bytes under this event's CID."""
    cid, _ = note(model, n)
    other, record = note(model, n + 1000, content={"title": "swapped in"})
    block = jose.unpack(other, record).jws
    header = dag_cbor.encode({"version": 1, "roots": [cid]})
    section = bytes(cid) + block
    return entry(network_id, model, cid, varint.encode(len(header)) + header + varint.encode(len(section)) + section)


def running_node(tmp_path, **settings):
    """A started node with Recon, on a loop of its own; closed (stores too) when the test ends."""
    node = Node(Settings(datadir=tmp_path, name="n", network="intake", bind="127.0.0.1",
                         announce="/ip4/127.0.0.1/tcp/0", swarm_port=0, cluster=False, **settings), serve_http=False)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(node.start())
    node.recon = recon.Recon(node.swarm, node.event_feed, node.streams)
    yield dataclasses.make_dataclass("Running", ["node", "loop"])(node, loop)
    loop.run_until_complete(node.swarm.close())
    loop.close()
    node.event_feed.close()
    node.pins.close()


@pytest.fixture
def node(tmp_path):
    yield from running_node(tmp_path, store="memory")


async def take_in(recon_, frame, prefix):
    await recon_._on_values(Peer(), frame, prefix)
    while recon_._waiting or recon_._taking.locked():
        await asyncio.sleep(0)


def test_a_batch_keeps_every_good_event_and_refuses_each_forged_one_alone(node):
    running, loop = node.node, node.loop
    model = apply_genesis(*model_genesis(ALICE, definition()))
    other_model = apply_genesis(*model_genesis(ALICE, definition(name="Other")))
    for genesis in (model_genesis(ALICE, definition()), model_genesis(ALICE, definition(name="Other"))):
        loop.run_until_complete(running.streams.create_from_genesis(*genesis))
    running.event_feed.register(SEP, model.stream_id.encode())
    (prefix,) = running.recon.prefixes()
    network = running.event_feed.network_id
    good = [note(model, n) for n in range(6)]
    forged = [forged_signature(model, 100),
              note(model, 101, content={"title": "x" * 41}),  # over the Model's maxLength
              note(other_model, 102)]  # another Model's event, sent under this interest
    values = [entry(network, model, cid, events.to_car(cid, data)) for cid, data in good[:3] + forged + good[3:]]
    values.insert(2, not_its_cid(network, model, 103))

    loop.run_until_complete(take_in(running.recon, {"t": "rcv", "i": prefix.hex(), "v": values}, prefix))

    held = {cid for cid, _ in running.event_feed.since(0, 100)[0]}
    assert {str(cid) for cid, _ in good} <= held
    assert not {str(cid) for cid, _ in forged} & held, "a forged event reached the feed"
    assert all(running.streams.held(StreamID(3, cid)) is None for cid, _ in forged)
    assert running.recon.counts[("invalid_event_count_total", "peer", "")] == 4
    assert running.recon.counts[("value_insert_count_total", "peer", "")] == len(good)


def test_events_sent_again_while_queued_or_held_are_not_read_again(node):
    """A peer's rounds during a long intake offer the same events again: reading their CARs anew
    was most of what intake cost on real processes (35 reads per event taken in)."""
    running, loop = node.node, node.loop
    model = apply_genesis(*model_genesis(ALICE, definition()))
    loop.run_until_complete(running.streams.create_from_genesis(*model_genesis(ALICE, definition())))
    running.event_feed.register(SEP, model.stream_id.encode())
    (prefix,) = running.recon.prefixes()
    values = [entry(running.event_feed.network_id, model, cid, events.to_car(cid, data))
              for cid, data in (note(model, n) for n in range(5))]
    frame = {"t": "rcv", "i": prefix.hex(), "v": values}
    reads = []
    original = running.recon._event
    running.recon._event = lambda key, car: reads.append(key) or original(key, car)

    async def twice_then_again():
        await running.recon._on_values(Peer(), frame, prefix)
        await take_in(running.recon, frame, prefix)  # sent again while the first is queued
        await take_in(running.recon, frame, prefix)  # and once all are held

    loop.run_until_complete(twice_then_again())
    assert len(reads) == len(values) and not running.recon._incoming
    assert running.recon.counts[("value_insert_count_total", "peer", "")] == len(values)


# -- streams the stream cache evicted (issue 26): their state is built from the feed's events ---------


@pytest.fixture(params=["memory", "disk"])
def small_cache(tmp_path, request):
    """A node whose stream cache holds 5 streams, on either store (disk reads the feed off the loop)."""
    yield from running_node(tmp_path, stream_cache_limit=5, store=request.param)


def update_of(state, content, key=ALICE):
    return mid_update(key, state.stream_id.genesis, state.tip, jsonpatch.make_patch(state.content, content).patch)


def update_entry(network_id: int, model, genesis, cid, data) -> list[str]:
    key = event_id.build(network_id, SEP, model.stream_id.to_bytes(), ALICE.did, genesis, cid)
    return [key.hex(), events.to_car(cid, data).hex()]


def written_past_the_cache(running, loop, count=20):
    """A Model (unpinned) and `count` MIDs of it taken in by Recon: the cache keeps the last 5 used,
    and then lets the Model go too (each MID checked against it kept it)."""
    model = apply_genesis(*model_genesis(ALICE, definition()))
    loop.run_until_complete(running.streams.create_from_genesis(*model_genesis(ALICE, definition())))
    running.event_feed.register(SEP, model.stream_id.encode())
    (prefix,) = running.recon.prefixes()
    notes = [note(model, n) for n in range(count)]
    values = [entry(running.event_feed.network_id, model, cid, events.to_car(cid, data)) for cid, data in notes]
    loop.run_until_complete(take_in(running.recon, {"t": "rcv", "i": prefix.hex(), "v": values}, prefix))
    first = StreamID(3, notes[0][0])
    assert running.streams.held(first) is None, "the cache kept the first MID"
    assert running.streams.evict(ids=[model.stream_id]) == [model.stream_id]
    return model, prefix, [apply_genesis(*n) for n in notes]


def test_updates_to_evicted_streams_are_taken_in_by_recon_and_when_posted(small_cache):
    running, loop = small_cache.node, small_cache.loop
    model, prefix, notes = written_past_the_cache(running, loop)
    synced = update_of(notes[0], {"title": "synced"})
    frame = {"t": "rcv", "i": prefix.hex(),
             "v": [update_entry(running.event_feed.network_id, model, notes[0].stream_id.genesis, *synced)]}
    loop.run_until_complete(take_in(running.recon, frame, prefix))
    assert running.event_feed.has(synced[0]) is not None, "Recon refused an update of a stream the cache evicted"
    assert running.recon.counts[("invalid_event_count_total", "peer", "")] == 0

    posted = update_of(notes[1], {"title": "posted"})
    loop.run_until_complete(ingest.store(running.streams, running.event_feed, *posted))
    # A repeat is taken (ceramic-one answers 204), even once a sync brought the event in.
    loop.run_until_complete(ingest.store(running.streams, running.event_feed, *posted))
    for state, content, tip in ((notes[0], "synced", synced[0]), (notes[1], "posted", posted[0])):
        loaded = loop.run_until_complete(stream_states.load(running.streams, running.event_feed, state.stream_id))
        assert (loaded.content, loaded.tip) == ({"title": content}, tip)
    untouched = loop.run_until_complete(stream_states.load(running.streams, running.event_feed, notes[2].stream_id))
    assert untouched.content == {"title": "note 2"}, "an evicted stream's state is not served from its events"


def test_a_stream_rebuilt_from_the_feed_takes_the_branch_the_conflict_rules_pick_and_drops_forgeries(small_cache):
    """The feed holds a branch the node left for a winning one (gossip moved its tip) and a longer
    one no controller signed (planted in its table): the rebuild verifies each branch and keeps
    settle's pick of those that hold, whatever order the feed took them in."""
    running, loop = small_cache.node, small_cache.loop
    _, _, notes = written_past_the_cache(running, loop)
    genesis = notes[0]
    blocks = running.event_feed.of_stream(genesis.stream_id)

    def branch(key, *titles):
        state = genesis
        for title in titles:
            cid, data = update_of(state, {"title": title}, key=key)
            blocks[cid] = data
            state = dataclasses.replace(state, content={"title": title}, log=state.log + (LogEntry(cid, "update"),))
        return state

    left = branch(ALICE, "left")
    forged = branch(MALLORY, "forged 1", "forged 2", "forged 3")
    kept = branch(ALICE, "kept 1", "kept 2")
    for state in (left, forged, kept):
        running.event_feed.note(state, blocks)
    assert running.streams.held(genesis.stream_id) is None
    loaded = loop.run_until_complete(stream_states.load(running.streams, running.event_feed, genesis.stream_id))
    assert (loaded.tip, loaded.content) == (kept.tip, {"title": "kept 2"})


def test_an_update_of_a_stream_whose_events_do_not_rebuild_it_is_refused_after_asking_the_network(small_cache):
    """A log through an anchor commit (no event: the feed keeps none) leaves the feed's events short
    of a verified log: the node searches its network for the stream, as a load does, and refuses
    the event saying so when no peer has it."""
    running, loop = small_cache.node, small_cache.loop
    _, _, notes = written_past_the_cache(running, loop)
    genesis = notes[0]
    proof = {"chain": "fakenet", "blockHash": "00" * 32, "blockHeight": 1, "root": "00" * 32, "path": []}
    anchor, _ = make_anchor(genesis, proof)
    through = mid_update(ALICE, genesis.stream_id.genesis, anchor, [{"op": "replace", "path": "/title", "value": "x"}])
    anchored = dataclasses.replace(genesis, log=genesis.log + (LogEntry(anchor, "anchor"), LogEntry(through[0], "update")))
    running.event_feed.note(anchored, {**running.event_feed.of_stream(genesis.stream_id), through[0]: through[1]})
    later = mid_update(ALICE, genesis.stream_id.genesis, through[0], [{"op": "replace", "path": "/title", "value": "y"}])
    with pytest.raises(ingest.MissingInit, match="do not rebuild it, and .* is unavailable"):
        loop.run_until_complete(ingest.store(running.streams, running.event_feed, *later))
    assert running.streams.held(genesis.stream_id) is None, "a log short of its anchor was held"


def test_a_stream_with_more_events_than_a_load_takes_is_not_rebuilt(small_cache, monkeypatch):
    running, loop = small_cache.node, small_cache.loop
    _, _, notes = written_past_the_cache(running, loop)
    first = update_of(notes[0], {"title": "one"})
    loop.run_until_complete(ingest.store(running.streams, running.event_feed, *first))
    running.streams.evict(ids=[notes[0].stream_id])
    monkeypatch.setattr(stream_service, "LONGEST_LOG", 1)
    assert loop.run_until_complete(running.streams.restore(
        notes[0].stream_id, running.event_feed.of_stream(notes[0].stream_id))) is None
    assert running.streams.held(notes[0].stream_id) is None
