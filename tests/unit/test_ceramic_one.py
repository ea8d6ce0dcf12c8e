"""ceramic-one's pieces: EventIds against rust-ceramic's own test vectors (core/src/event_id.rs,
`blessing`), CAR files, events to commits and back, and the feed's resume tokens."""

import sqlite3

import dag_cbor
import pytest
from multiformats import CID, multibase, varint

from fakenet.node.ceramic_one import car, event_id, events
from fakenet.node.ceramic_one.feed import EventFeed
from fakenet.node.streams import ControllerKey, apply_commit, apply_genesis, cids, codec, jose
from support.ceramic_models import definition, mid_genesis, mid_update, model_genesis

SEPARATOR = multibase.decode("kh4q0ozorrgaq2mezktnrmdwleo1d")
CONTROLLER = "did:key:z6MkgSV3tAuw7gUWqKCUY7ae6uWNxqYgdwPhUJbJhF9EFXm9"
INIT = CID.decode("bagcqceraplay4erv6l32qrki522uhiz7rf46xccwniw7ypmvs3cvu2b3oulq")
EVENT = CID.decode("bafyreihu557meceujusxajkaro3epfe6nnzjgbjaxsapgtml7ox5ezb5qy")
OWNER = ControllerKey.from_seed(bytes(range(32)))


@pytest.mark.parametrize(("network", "expected"), [
    (0x00, "ce010500ba25076d730241e745cc7c072ff729ea683b751701711220f4ef7ec208944d257025408bb647949e6b72930520bc80f34d8bfbafd2643d86"),
    (0x01_0000_0000 + 0xCE4A441C, "ce01059c88a9f21cba25076d730241e745cc7c072ff729ea683b751701711220f4ef7ec208944d257025408bb647949e6b72930520bc80f34d8bfbafd2643d86"),
])
def test_event_ids_match_rust_ceramic_s_vectors(network, expected):
    assert event_id.build(network, "model", SEPARATOR, CONTROLLER, INIT, EVENT).hex() == expected


def test_signed_and_unsigned_events_travel_as_car_and_come_back_as_the_same_commit():
    model = model_genesis(OWNER, definition())
    for cid, data in (model, codec.encode({"header": {"controllers": [OWNER.did]}})):
        assert events.from_car(events.to_car(cid, data)) == (cid, data)


def test_cars_are_written_as_dag_cbor_and_multiformats_write_them():
    model_event, model_block = model_genesis(OWNER, definition())
    record = jose.unpack(model_event, model_block)
    link = cids.decode(dag_cbor.decode(record.jws)["payload"])  # what the JWS names, read the slow way
    blocks = {model_event: record.jws, link: record.linked}
    expected = (varint.encode(len(header := dag_cbor.encode({"version": 1, "roots": [model_event]}))) + header +
                b"".join(varint.encode(len(bytes(c)) + len(d)) + bytes(c) + d for c, d in blocks.items()))
    assert events.to_car(model_event, model_block) == car.encode([model_event], blocks) == expected
    for cid in (INIT, EVENT, CID.decode("QmPZ9gcCEpqKTo6aq61g2nXGUhM4iCL3ewB6LDXZCtioEB"), codec.cid_of(b"x", "raw")):
        assert cids.to_bytes(cid) == bytes(cid)
    for number in (0, 1, 127, 128, 300, 2**21, 2**35):
        assert car._varint(number) == varint.encode(number)


@pytest.mark.parametrize(("data", "reason"), [
    (b"\x00", "CARv1"), (b"\xff\xff", "CARv1"),
    (b"\x80\x00", "not minimally encoded"), (b"\xff" * 9 + b"\x01", "longer than 9 bytes"),
    (car.encode([EVENT], {}), "does not hold its root"),
    (car.encode([EVENT], {EVENT: b"\xa0"}), "does not hash to its CID"),
])
def test_bad_cars_are_refused_with_the_reason(data, reason):
    with pytest.raises(car.InvalidCar, match=reason):
        events.from_car(data)


def test_the_feed_resumes_after_its_token_and_sorts_a_model_s_events_together(tmp_path):
    feed = EventFeed(tmp_path / "events.sqlite", event_id.local_network_id("fakenet"))
    model_event, = blocks = dict([model_genesis(OWNER, definition())])
    model = apply_genesis(model_event, blocks[model_event])
    doc_event, doc_block = mid_genesis(OWNER, model.stream_id.encode(), {"title": "a"})
    doc = apply_genesis(doc_event, doc_block)
    blocks[doc_event] = doc_block
    feed.note(model, blocks)
    feed.note(doc, blocks)
    first, token = feed.since(0, 10)
    assert [cid for cid, _ in first] == [str(model.tip), str(doc.tip)] and token == feed.highwater()
    update = mid_update(OWNER, doc.stream_id.genesis, doc.tip, [{"op": "replace", "path": "/title", "value": "b"}])
    updated = apply_commit(doc, *update)
    blocks[update[0]] = update[1]
    feed.note(updated, blocks)
    feed.note(updated, blocks)  # noting a state twice adds nothing
    assert [cid for cid, _ in feed.since(token, 10)[0]] == [str(updated.tip)]
    of_model = feed.of_interest(model.stream_id.to_bytes(), None, None, 0, 10)
    assert {cid for cid, _ in of_model} == {str(doc.tip), str(updated.tip)}
    assert feed.has(updated.tip) == doc.stream_id.encode()
    assert feed.blocks([doc.tip, updated.tip, EVENT]) == {doc.tip: doc_block, updated.tip: update[1]}


def test_a_feed_written_before_it_kept_bytes_opens_and_serves_its_old_rows_without_data(tmp_path):
    path = tmp_path / "events.sqlite"
    with sqlite3.connect(path) as old:
        old.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, cid TEXT UNIQUE NOT NULL, "
                    "id BLOB NOT NULL, stream TEXT NOT NULL, controller TEXT NOT NULL)")
        old.execute("INSERT INTO events (cid, id, stream, controller) VALUES (?, x'00', 's', 'c')", (str(EVENT),))
    old.close()
    feed = EventFeed(path, event_id.local_network_id("fakenet"))
    assert feed.has(EVENT) == "s" and feed.blocks([EVENT]) == {}
    model_event, model_block = model_genesis(OWNER, definition())
    feed.note(apply_genesis(model_event, model_block), {model_event: model_block})
    assert feed.blocks([model_event]) == {model_event: model_block}


def test_a_car_header_is_read_as_dag_cbor_reads_it_and_non_canonical_bytes_are_refused():
    for roots in ([EVENT], [INIT], [EVENT, INIT]):
        header = dag_cbor.encode({"version": 1, "roots": roots})
        assert car._header(header) == dag_cbor.decode(header)
    short = bytes.fromhex("01550003") + b"abc"  # a CID of 7 bytes: canonical CBOR gives its length inline
    padded = car._ROOTS + bytes([len(short) + 1, 0]) + short + car._VERSION_1
    with pytest.raises(Exception):
        car._header(padded)
