"""Memory stores (Settings.store = "memory", the sim's): nothing held open, everything back after a close."""

import contextlib
import os
import sqlite3
import stat

import pytest

from fakenet.node.ceramic_one.feed import EventFeed
from fakenet.node.chain import Chain
from fakenet.node.database import Database, LazyStore
from fakenet.node.model_index import ModelIndex
from fakenet.node.streams import ControllerKey, PinStore, StreamID, apply_genesis, make_genesis
from fakenet.node.streams.streamid import MODEL
from support.ceramic_models import definition, model_genesis

OWNER = ControllerKey.from_seed(bytes(32))


def created():
    cid, data = make_genesis(OWNER, {"n": 1}, unique=bytes(12))
    return apply_genesis(cid, data, local=True), {cid: data}


def open_paths() -> set[str]:
    return {os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
            if os.path.exists(f"/proc/self/fd/{fd}")}


def test_a_memory_pin_store_holds_no_file_open_and_keeps_pins_across_a_close(tmp_path):
    state, blocks = created()
    path = tmp_path / "state.sqlite"
    with PinStore(path, "memory") as store:
        store.pin(state, blocks)
        assert not any(p.startswith(str(tmp_path)) for p in open_paths())
        assert not path.exists()  # written at close, not before
    with PinStore(path, "memory") as store:
        assert store.list() == [state.stream_id] and store.get(state.stream_id)[1] == blocks


def test_the_image_a_memory_store_writes_is_a_private_sqlite_file(tmp_path):
    state, blocks = created()
    path = tmp_path / "state.sqlite"
    with PinStore(path, "memory") as store:
        store.pin(state, blocks)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT stream_id FROM streams").fetchall() == [(state.stream_id.encode(),)]


def test_a_memory_chain_keeps_its_blocks_across_a_close(tmp_path):
    path = tmp_path / "chain.sqlite"
    with Chain(path, "fakenet", store="memory") as chain:
        chain.add_block(chain.mine(bytes.fromhex("51")))
        tip = chain.tip().hash
        assert not any(p.startswith(str(tmp_path)) for p in open_paths())
    with Chain(path, "fakenet", store="memory") as chain:
        assert chain.height() == 1 and chain.tip().hash == tip


def test_closing_a_memory_store_twice_is_harmless(tmp_path):
    state, blocks = created()
    store = PinStore(tmp_path / "state.sqlite", "memory")
    store.pin(state, blocks)
    store.close()
    store.close()
    with PinStore(tmp_path / "state.sqlite", "memory") as reopened:
        assert reopened.list() == [state.stream_id]


def test_an_unknown_store_is_refused(tmp_path):
    with pytest.raises(ValueError, match="disk"):
        Database(tmp_path / "state.sqlite", "tape")


def test_the_event_feed_and_model_index_in_memory_hold_no_file_open_and_keep_what_they_hold(tmp_path):
    model = StreamID(MODEL, make_genesis(OWNER, {"n": 2})[0])
    feed, index = EventFeed(tmp_path / "events.sqlite", 7, "memory"), ModelIndex(tmp_path / "index.sqlite", "memory")
    feed.register("model", model.encode())
    index.start([model])
    assert not any(p.startswith(str(tmp_path)) for p in open_paths())
    feed.close()
    index.close()
    assert EventFeed(tmp_path / "events.sqlite", 7, "memory").interests() == [("model", model.encode())]
    assert ModelIndex(tmp_path / "index.sqlite", "memory").models() == [model.encode()]


def test_the_event_feed_in_memory_keeps_the_events_bytes_across_a_close_with_no_file_open(tmp_path):
    """The feed owns accepted events' bytes (issue 26): a sim node's restart must find them."""
    cid, data = model_genesis(OWNER, definition())
    feed = EventFeed(tmp_path / "events.sqlite", 7, "memory")
    feed.note(apply_genesis(cid, data), {cid: data})
    assert not any(p.startswith(str(tmp_path)) for p in open_paths())
    feed.close()
    assert EventFeed(tmp_path / "events.sqlite", 7, "memory").blocks([cid]) == {cid: data}


def test_a_lazy_store_s_batch_is_one_commit_kept_whole_even_when_a_bug_ends_it(tmp_path):
    store = LazyStore(tmp_path / "t.sqlite", "CREATE TABLE IF NOT EXISTS t (n INTEGER);")
    with store.batch():
        store.db.execute("INSERT INTO t VALUES (1)")
        with store.batch():  # nested: part of the outer one
            store.db.execute("INSERT INTO t VALUES (2)")
        assert store.db.in_transaction
    with pytest.raises(RuntimeError), store.batch():
        store.db.execute("INSERT INTO t VALUES (3)")
        raise RuntimeError("a bug halfway")
    assert not store.db.in_transaction
    assert [n for (n,) in store.db.execute("SELECT n FROM t ORDER BY n")] == [1, 2, 3]


def test_a_memory_store_uses_small_pages_and_keeps_them_and_its_rows_across_a_close(tmp_path):
    """Issue 28: a node's nearly empty stores cost a page per table and index; at 4 KB pages two
    stores were 125 KB of every sim node, at 1 KB 68 KB. A store read back from its image keeps the
    page size it was written with (SQLite cannot change it without a VACUUM)."""
    from fakenet.node.database import MEMORY_PAGE_SIZE

    state, blocks = created()
    path = tmp_path / "state.sqlite"
    with PinStore(path, "memory") as store:
        assert store._db.execute("PRAGMA page_size").fetchone()[0] == MEMORY_PAGE_SIZE == 1024
        store.pin(state, blocks)
    with PinStore(path, "memory") as store:
        assert store._db.execute("PRAGMA page_size").fetchone()[0] == MEMORY_PAGE_SIZE
        assert store.get(state.stream_id)[1] == blocks
    disk = Database(tmp_path / "disk.sqlite").connect()
    disk.execute("CREATE TABLE t (x)")
    assert disk.execute("PRAGMA page_size").fetchone()[0] == 4096  # on disk SQLite's default stays
    disk.close()


SCHEMA = "CREATE TABLE IF NOT EXISTS rows (key TEXT PRIMARY KEY, value TEXT NOT NULL);"


def test_a_new_memory_store_copied_from_the_first_of_its_schema_is_the_store_its_schema_makes(tmp_path):
    """The second new store of a schema starts as a copy of the first (database._FRESH): the same
    bytes as running the schema, its own copy, nothing changed (so its close writes no file), and a
    store with a file of its own still opens from that file."""
    schema = SCHEMA + f"\n-- {tmp_path.name}"  # a schema no other test made: the first store runs it
    made = Database(tmp_path / "first.sqlite", "memory").connect(("PRAGMA journal_mode=WAL",), schema)
    copied = Database(tmp_path / "second.sqlite", "memory").connect(("PRAGMA journal_mode=WAL",), schema)
    assert copied.serialize() == made.serialize()
    assert copied.execute("PRAGMA page_size").fetchone() == (1024,)
    copied.execute("INSERT INTO rows VALUES ('a', '1')")
    copied.commit()
    assert made.execute("SELECT count(*) FROM rows").fetchone() == (0,)  # not shared
    Database(tmp_path / "first.sqlite", "memory").close(made)
    assert not (tmp_path / "first.sqlite").exists()
    Database(tmp_path / "second.sqlite", "memory").close(copied)
    reopened = Database(tmp_path / "second.sqlite", "memory").connect((), schema)
    assert reopened.execute("SELECT * FROM rows").fetchall() == [("a", "1")]


def test_stores_copied_from_the_first_of_their_kind_behave_as_the_first(tmp_path):
    """A pin store and a chain made after the first of their kind (copies) hold and keep
    what the first does."""
    state, blocks = created()
    for n in range(2):
        with PinStore(tmp_path / f"state{n}.sqlite", "memory") as store:
            assert store.list() == []
            store.pin(state, blocks)
        with PinStore(tmp_path / f"state{n}.sqlite", "memory") as store:
            assert store.list() == [state.stream_id]
        with Chain(tmp_path / f"chain{n}.sqlite", "fakenet", store="memory") as chain:
            assert chain.height() == 0
            chain.add_block(chain.mine(bytes.fromhex("51")))
        with Chain(tmp_path / f"chain{n}.sqlite", "fakenet", store="memory") as chain:
            assert chain.height() == 1


def test_a_disk_store_runs_its_pragmas_then_its_schema(tmp_path):
    db = Database(tmp_path / "disk.sqlite").connect(("PRAGMA journal_mode=WAL",), SCHEMA)
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert db.execute("SELECT name FROM sqlite_master").fetchall() == [("rows",), ("sqlite_autoindex_rows_1",)]
    db.close()
