"""The durable pin store: persistence across reopen and across kill -9, raw blocks."""

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from fakenet.node.streams import (
    ControllerKey, MissingCommit, PinStore, StreamID, StreamNotFound, apply_commit, apply_genesis, codec, jose,
    make_genesis, make_update, rebuild,
)

OWNER = ControllerKey.from_seed(bytes(32))


def created(n: int = 0):
    cid, data = make_genesis(OWNER, {"n": n}, unique=n.to_bytes(12, "big"))
    return apply_genesis(cid, data, local=True), {cid: data}


def updated(state, content):
    cid, data = make_update(OWNER, state, content)
    return apply_commit(state, cid, data, local=True), {cid: data}


def test_pinned_streams_survive_closing_and_reopening(tmp_path):
    state, blocks = created()
    newer, new_blocks = updated(state, {"n": 1})
    with PinStore(tmp_path / "state.db") as store:
        store.pin(state, blocks)
        store.update(newer, new_blocks)
    with PinStore(tmp_path / "state.db") as store:
        got_state, got_blocks = store.get(state.stream_id)
        assert got_state == newer and got_blocks == {**blocks, **new_blocks}
        assert rebuild(got_blocks, got_state.tip).content == {"n": 1}
        assert store.list() == [state.stream_id]
        assert store.block(newer.tip) == new_blocks[newer.tip]


def test_the_store_runs_in_wal_mode(tmp_path):
    PinStore(tmp_path / "state.db").close()
    with contextlib.closing(sqlite3.connect(tmp_path / "state.db")) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_unpin_forgets_the_stream_and_its_commits(tmp_path):
    state, blocks = created()
    with PinStore(tmp_path / "state.db") as store:
        store.pin(state, blocks)
        assert store.unpin(state.stream_id) and not store.unpin(state.stream_id)
        assert store.get(state.stream_id) is None and store.list() == []
        assert store.block(state.tip) is None


def test_is_pinned_from_memory_agrees_with_the_store_through_pins_unpins_refusals_and_reopening(tmp_path):
    """is_pinned (and so a peer's query for a stream never pinned) reads no SQLite: the ids are
    kept in memory, and must say what a read of the store says at every step."""
    state, blocks = created()
    other, other_blocks = created(1)

    def agrees(store):
        return {sid: store.is_pinned(sid) for sid in (state.stream_id, other.stream_id)} == \
            {sid: store.state(sid) is not None for sid in (state.stream_id, other.stream_id)}

    with PinStore(tmp_path / "state.db") as store:
        assert agrees(store) and not store.is_pinned(state.stream_id)
        store.pin(state, blocks)
        with pytest.raises(MissingCommit):
            store.pin(other, {})  # refused: nothing pinned
        with pytest.raises(StreamNotFound):
            store.update(other, other_blocks)
        assert agrees(store) and store.is_pinned(state.stream_id) and not store.is_pinned(other.stream_id)
        store.pin(other, other_blocks)
        assert store.unpin(state.stream_id)
        assert agrees(store) and not store.is_pinned(state.stream_id) and store.is_pinned(other.stream_id)
    with PinStore(tmp_path / "state.db") as store:
        assert agrees(store) and store.is_pinned(other.stream_id)


def test_update_of_an_unpinned_stream_is_refused(tmp_path):
    state, blocks = created()
    with PinStore(tmp_path / "state.db") as store, pytest.raises(StreamNotFound):
        store.update(state, blocks)


def test_pin_without_every_commit_is_refused_and_leaves_nothing(tmp_path):
    state, blocks = created()
    newer, _ = updated(state, {"n": 1})
    with PinStore(tmp_path / "state.db") as store:
        with pytest.raises(MissingCommit):
            store.pin(newer, blocks)
        assert store.get(state.stream_id) is None and store.block(state.tip) is None


CHILD = textwrap.dedent("""
    import sys
    from fakenet.node.streams import ControllerKey, PinStore, apply_commit, apply_genesis, make_genesis, make_update
    key = ControllerKey.from_seed(bytes(32))
    store = PinStore(sys.argv[1])
    cid, data = make_genesis(key, {"n": 0})
    state = apply_genesis(cid, data, local=True)
    store.pin(state, {cid: data})
    print("acked", state.stream_id, flush=True)
    n = 0
    while True:  # keep writing, so the kill lands in the middle of a transaction
        n += 1
        cid, data = make_update(key, state, {"n": n, "pad": "x" * 4096})
        state = apply_commit(state, cid, data, local=True)
        store.update(state, {cid: data})
""")


def test_an_acknowledged_pin_survives_kill_9(tmp_path):
    path = tmp_path / "state.db"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        word, stream_text = child.stdout.readline().split()
        assert word == "acked"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()
    with PinStore(path) as store:
        state, blocks = store.get(StreamID.parse(stream_text))
        assert rebuild(blocks, state.tip).content == state.content  # whole, not half written


def test_raw_blocks_put_get_pin_and_gc(tmp_path):
    with PinStore(tmp_path / "state.db") as store:
        raw = store.put_block(b"hello")
        cbor_cid = store.put_block(codec.encode({"a": 1})[1], "dag-cbor")
        assert str(raw).startswith("bafkrei") and cbor_cid == codec.encode({"a": 1})[0]
        assert store.get_block(raw) == b"hello"
        assert store.pin_block(raw) and not store.pin_block(codec.cid_of(b"absent"))
        assert store.pinned_blocks() == [raw]
        assert store.gc_blocks() == 1
        assert store.get_block(cbor_cid) is None and store.get_block(raw) == b"hello"
        assert store.unpin_block(raw) and store.pinned_blocks() == []


def test_get_block_also_serves_commits_of_pinned_streams(tmp_path):
    state, blocks = created()
    with PinStore(tmp_path / "state.db") as store:
        store.pin(state, blocks)
        # A signed commit is served as IPFS holds it: the DAG-JOSE block its CID names.
        assert store.get_block(state.tip) == jose.unpack(state.tip, blocks[state.tip]).jws
        assert codec.cid_of(store.get_block(state.tip), "dag-jose") == state.tip


def test_put_block_refuses_bad_dag_cbor(tmp_path):
    with PinStore(tmp_path / "state.db") as store, pytest.raises(ValueError):
        store.put_block(b"\xff\xff", "dag-cbor")


def test_list_keeps_pin_order_when_a_stream_is_updated(tmp_path):
    (first, first_blocks), (second, second_blocks) = created(1), created(2)
    with PinStore(tmp_path / "state.db") as store:
        store.pin(first, first_blocks)
        store.pin(second, second_blocks)
        store.update(*updated(first, {"n": 9}))
        assert store.list() == [first.stream_id, second.stream_id]
