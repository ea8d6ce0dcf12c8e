"""Running fingerprints of whole interest ranges (ranges.RunningPrints): the same print as hashing
every key, whatever order keys arrive in, and a round that hashes only the keys new since the last.
Before, each round and each peer's whole-range offer hashed every key the node held."""

import random

from fakenet.node.ceramic_one import event_id, ranges
from fakenet.node.ceramic_one.feed import SEP, EventFeed
from fakenet.node.streams import StreamID
from fakenet.node.streams.streamid import MODEL
from multiformats import CID

MODEL_ID = StreamID(MODEL, CID.decode("bagcqceraplay4erv6l32qrki522uhiz7rf46xccwniw7ypmvs3cvu2b3oulq"))
OTHER_MODEL = StreamID(MODEL, CID.decode("bafyreihu557meceujusxajkaro3epfe6nnzjgbjaxsapgtml7ox5ezb5qy"))


def feed_with(tmp_path) -> EventFeed:
    return EventFeed(tmp_path / "feed.sqlite", event_id.LOCAL_BASE + 7)


def insert(feed: EventFeed, keys: list[bytes]) -> None:
    feed.db.executemany("INSERT OR IGNORE INTO events (cid, id, stream, controller, block) VALUES (?, ?, 's', 'c', x'')",
                        [(key.hex(), key) for key in keys])


def keys_of(feed: EventFeed, model: StreamID, count: int, rng: random.Random) -> list[bytes]:
    prefix = event_id.interest_prefix(feed.network_id, SEP, model.to_bytes())
    return [prefix + rng.randbytes(40) for _ in range(count)]


def whole(feed: EventFeed, model: StreamID) -> tuple[bytes, bytes]:
    return ranges.interest_range(event_id.interest_prefix(feed.network_id, SEP, model.to_bytes()))


def test_a_running_print_is_the_print_of_every_key_as_keys_arrive_in_any_order(tmp_path):
    rng, feed, running = random.Random(7), feed_with(tmp_path), ranges.RunningPrints()
    mine, other = whole(feed, MODEL_ID), whole(feed, OTHER_MODEL)
    assert running.of(feed.db, *mine) == (0, "0" * 64)
    for batch in (5, 0, 300, 1, 40):
        # Keys of both Models interleaved, each batch shuffled: new keys sort below and above old ones.
        keys = keys_of(feed, MODEL_ID, batch, rng) + keys_of(feed, OTHER_MODEL, batch // 2, rng)
        rng.shuffle(keys)
        insert(feed, keys)
        insert(feed, keys[:3])  # copies the feed ignores
        for lo, hi in (mine, other):
            assert running.of(feed.db, lo, hi) == ranges.fingerprint(ranges.keys(feed.db, lo, hi))
    assert running.of(feed.db, *mine)[0] == 346
    # A range first asked of a feed that holds keys already (a node restarted, an interest new
    # here) is counted from its own keys, and moves from there.
    for lo, hi in (mine, other):
        assert ranges.RunningPrints().of(feed.db, lo, hi) == ranges.fingerprint(ranges.keys(feed.db, lo, hi))


def test_a_round_hashes_only_the_keys_new_since_the_last(tmp_path, monkeypatch):
    rng, feed, running = random.Random(8), feed_with(tmp_path), ranges.RunningPrints()
    insert(feed, keys_of(feed, MODEL_ID, 2000, rng))
    running.of(feed.db, *whole(feed, MODEL_ID))
    hashed = []
    summed = ranges._sum
    monkeypatch.setattr(ranges, "_sum", lambda ids: hashed.append(len(ids)) or summed(ids))
    insert(feed, keys_of(feed, MODEL_ID, 3, rng) + keys_of(feed, OTHER_MODEL, 4, rng))
    count, _ = running.of(feed.db, *whole(feed, MODEL_ID))
    assert count == 2003 and hashed == [3]
    running.of(feed.db, *whole(feed, MODEL_ID))
    assert hashed == [3, 0]
