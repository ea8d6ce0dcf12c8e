"""The pinset CRDT: merges commute and repeat harmlessly, partitions converge, the store survives."""

import json
import random

import pytest

from fakenet.node.errors import NodeConfigError
from fakenet.node.cluster.pinset import PinEntry, Pinset
from fakenet.node.cluster.store import ClusterStore
from fakenet.node.streams import ControllerKey, apply_genesis, make_genesis

KEY = ControllerKey.from_seed(bytes(32))


def stream_ids(count: int) -> list[str]:
    ids = []
    for n in range(count):
        cid, data = make_genesis(KEY, {"n": n}, unique=n.to_bytes(12, "big"))
        ids.append(apply_genesis(cid, data, local=True).stream_id.encode())
    return ids


IDS = stream_ids(12)


def snapshot(pinset: Pinset) -> list[dict]:
    return [entry.to_json() for entry in pinset.entries()]


def random_writes(rng: random.Random, replicas: list[Pinset], origins: list[str], count: int) -> list[PinEntry]:
    """Writes made on random replicas, each seeing only its own earlier writes (maximal concurrency)."""
    writes = []
    for _ in range(count):
        i = rng.randrange(len(replicas))
        stream = rng.choice(IDS[:6])
        if rng.random() < 0.3 and replicas[i].get(stream):
            writes.append(replicas[i].remove(stream, origins[i], 1.0))
        else:
            writes.append(replicas[i].add(stream, 1, rng.randint(1, 3), "", origins[i], 1.0))
    return writes


def test_merge_order_does_not_matter():
    rng = random.Random(11)
    writes = random_writes(rng, [Pinset() for _ in range(3)], ["pa", "pb", "pc"], 60)
    states = []
    for _ in range(5):
        order = writes[:]
        rng.shuffle(order)
        states.append(snapshot(Pinset(order)))
    assert all(state == states[0] for state in states)


def test_merging_again_changes_nothing():
    pinset = Pinset()
    entry = pinset.add(IDS[0], 2, 2, "a", "pa", 1.0)
    digest = pinset.digest()
    assert pinset.merge_all([entry, entry]) == []
    assert pinset.digest() == digest


def test_both_sides_of_a_partition_add_and_converge_after_exchange():
    left, right = Pinset(), Pinset()
    left.add(IDS[0], 2, 2, "", "pa", 1.0)
    right.add(IDS[1], 2, 2, "", "pc", 1.0)
    left.add(IDS[2], 1, 1, "", "pb", 2.0)
    right.remove(IDS[1], "pd", 3.0)
    right.add(IDS[3], 2, 2, "", "pd", 4.0)
    left.merge_all(right.entries())
    right.merge_all(left.entries())
    assert snapshot(left) == snapshot(right)
    assert [e.stream_id for e in left.items()] == sorted([IDS[0], IDS[2], IDS[3]])
    assert left.digest() == right.digest()


def test_a_late_add_does_not_resurrect_a_removed_item():
    origin = Pinset()
    added = origin.add(IDS[0], 2, 2, "", "pa", 1.0)
    removed = origin.remove(IDS[0], "pa", 2.0)
    other = Pinset([removed])
    assert other.merge(added) is False
    assert other.get(IDS[0]) is None


def test_concurrent_writes_with_equal_clocks_are_ordered_by_writer():
    a, b = Pinset(), Pinset()
    from_a, from_b = a.add(IDS[0], 1, 1, "a", "pa", 1.0), b.add(IDS[0], 3, 3, "b", "pb", 1.0)
    a.merge(from_b)
    b.merge(from_a)
    assert a.get(IDS[0]) == b.get(IDS[0]) == from_b


def test_a_local_write_after_a_merge_orders_after_what_was_merged():
    pinset = Pinset()
    pinset.merge(PinEntry(IDS[0], 1, 1, "", 1.0, 41, "pz"))
    assert pinset.add(IDS[1], 1, 1, "", "pa", 2.0).clock == 42


@pytest.mark.parametrize("change, match", [({"stream_id": "QmNotAStream"}, "neither a CID nor a stream id"),
                                            ({"stream_id": "zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA"}, "canonical"),
                                            ({"rmin": 3}, "rmin"),
                                            ({"clock": "x"}, "invalid literal")])
def test_malformed_entries_from_peers_are_refused(change, match):
    good = PinEntry(IDS[0], 1, 2, "", 1.0, 1, "pa").to_json()
    with pytest.raises(ValueError, match=match):
        PinEntry.from_json({**good, **change})


def test_store_round_trips_pinset_clock_and_owned_and_leaves_no_temporary(tmp_path):
    store = ClusterStore(tmp_path / "cluster.json")
    pinset = Pinset()
    pinset.add(IDS[0], 2, 2, "kept", "pa", 1.0, ["pa", "pb"])
    pinset.add(IDS[1], 1, 1, "", "pa", 1.0)
    pinset.remove(IDS[1], "pa", 2.0)
    store.save(pinset, {IDS[0]})
    loaded, owned = ClusterStore(tmp_path / "cluster.json").load()
    assert snapshot(loaded) == snapshot(pinset) and loaded.clock == pinset.clock == 3
    assert owned == {IDS[0]}
    assert [p.name for p in tmp_path.iterdir()] == ["cluster.json"]


def test_a_new_store_is_empty_and_a_corrupt_one_says_what_to_do(tmp_path):
    pinset, owned = ClusterStore(tmp_path / "cluster.json").load()
    assert (pinset.items(), owned) == ([], set())
    (tmp_path / "cluster.json").write_text(json.dumps({"entries": [{"stream_id": 1}]}))
    with pytest.raises(NodeConfigError, match="move the file away"):
        ClusterStore(tmp_path / "cluster.json").load()
