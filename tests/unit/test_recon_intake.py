"""Recon's intake (fakenet/node/ceramic_one/recon.py, ingest.py) on one real in-process node: a
batch of events from a peer is taken in whole, except the events that do not verify, each refused
alone (a forged signature, bytes that are not their CID, content its Model's schema refuses, an
event of another Model)."""

import asyncio
import dataclasses

import dag_cbor
import pytest
from multiformats import varint

from fakenet.node.ceramic_one import event_id, events, recon
from fakenet.node.ceramic_one.feed import SEP
from fakenet.node.daemon import Node
from fakenet.node.settings import Settings
from fakenet.node.streams import ControllerKey, StreamID, apply_genesis, jose
from support.ceramic_models import definition, mid_genesis, model_genesis

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


@pytest.fixture
def node(tmp_path):
    settings = Settings(datadir=tmp_path, name="n", network="intake", bind="127.0.0.1",
                        announce="/ip4/127.0.0.1/tcp/0", swarm_port=0, cluster=False, store="memory")
    node = Node(settings, serve_http=False)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(node.start())
    node.recon = recon.Recon(node.swarm, node.event_feed, node.streams)
    yield dataclasses.make_dataclass("Running", ["node", "loop"])(node, loop)
    loop.run_until_complete(node.swarm.close())
    loop.close()


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
