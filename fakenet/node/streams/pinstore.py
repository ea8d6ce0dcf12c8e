"""The durable store: pinned streams (state + every commit block) and raw IPFS-style blocks.

One SQLite file in WAL mode with synchronous=FULL, and every change is one transaction that
is committed before the method returns: once `pin` or `update` has returned, the data
survives the process being killed (kill -9) or the container stopping, which is what the
harness relies on when it counts a pinned stream's node as a holder after a restart.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import dag_cbor
from multiformats import CID

from fakenet.node import excerpt
from fakenet.node.database import DISK, Database
from fakenet.node.streams import codec, jose
from fakenet.node.streams.errors import MissingCommit, StreamNotFound
from fakenet.node.streams.state import StreamState
from fakenet.node.streams.streamid import StreamID

SCHEMA = """
CREATE TABLE IF NOT EXISTS streams (stream_id TEXT PRIMARY KEY, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS commits (
    stream_id TEXT NOT NULL, cid TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (stream_id, cid));
CREATE INDEX IF NOT EXISTS commits_by_cid ON commits (cid);
CREATE TABLE IF NOT EXISTS blocks (
    cid TEXT PRIMARY KEY, data BLOB NOT NULL, pinned INTEGER NOT NULL DEFAULT 0);
"""
BLOCK_CODECS = (codec.RAW, codec.DAG_CBOR, "dag-pb", jose.DAG_JOSE)  # dag-pb: UnixFS files added through the
# cluster; dag-jose: signed commits kept as blocks


class PinStore:
    def __init__(self, path: str | Path, store: str = DISK):
        self._file = Database(Path(path), store)
        self.in_memory = self._file.in_memory
        # Autocommit mode: transactions are opened explicitly, so none is ever left half open.
        self._db = self._file.connect(("PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=5000"),
                                      SCHEMA, isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()  # one connection, possibly used from executor threads
        # The pinned streams' ids, kept in memory as every pin and unpin commits (both run here):
        # a peer's query for a stream this node never pinned (most of them, and every one of a
        # rogue's flood) is answered without a read off the event loop.
        self._ids = {row[0] for row in self._db.execute("SELECT stream_id FROM streams")}
        # The same for the CIDs of commits and raw blocks held: a peer's fetch reaches every node of
        # the component, and a node holding none of its CIDs answered it with three reads per CID.
        self._commit_cids = self._cids_of("commits")
        self._block_cids = self._cids_of("blocks")

    def _cids_of(self, table: str) -> set[str]:
        return {row[0] for row in self._db.execute(f"SELECT DISTINCT cid FROM {table}")}

    def close(self) -> None:
        self._file.close(self._db)

    def __enter__(self) -> PinStore:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _read(self, sql: str, *args) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # -- pinned streams --------------------------------------------------------------------

    def pin(self, state: StreamState, blocks: Mapping[CID, bytes]) -> None:
        """Keep a stream durably; `blocks` must hold every commit of its log."""
        self._write_stream(state, blocks, require_pinned=False)

    def update(self, state: StreamState, new_blocks: Mapping[CID, bytes]) -> None:
        """Move a pinned stream to a newer state; `new_blocks` are the commits it adds."""
        self._write_stream(state, new_blocks, require_pinned=True)

    def _write_stream(self, state: StreamState, blocks: Mapping[CID, bytes], *, require_pinned: bool) -> None:
        for cid, data in blocks.items():
            codec.verify(cid, data)
        key = state.stream_id.encode()
        rows = [(key, codec.cid_text(cid), data) for cid, data in blocks.items()]
        with self._transaction() as db:
            pinned = db.execute("SELECT 1 FROM streams WHERE stream_id = ?", (key,)).fetchone()
            if require_pinned and not pinned:
                raise StreamNotFound(state.stream_id)
            db.executemany("INSERT OR IGNORE INTO commits (stream_id, cid, data) VALUES (?, ?, ?)", rows)
            self._check_complete(db, state)
            # An upsert, not a replace, so the row keeps its place in list()'s pin order.
            db.execute("INSERT INTO streams (stream_id, state) VALUES (?, ?) "
                       "ON CONFLICT (stream_id) DO UPDATE SET state = excluded.state",
                       (key, json.dumps(state.to_json())))
        self._ids.add(key)
        self._commit_cids.update(row[1] for row in rows)

    @staticmethod
    def _check_complete(db: sqlite3.Connection, state: StreamState) -> None:
        """A pinned stream must be replayable from the store alone, so no commit may be missing."""
        key = state.stream_id.encode()
        held = {row[0] for row in db.execute("SELECT cid FROM commits WHERE stream_id = ?", (key,))}
        for entry in state.log:
            if entry.text not in held:
                raise MissingCommit(state.stream_id, entry.cid)

    def unpin(self, stream_id: StreamID) -> bool:
        """Forget a stream and its commits; False if it was not pinned."""
        key = stream_id.encode()
        with self._transaction() as db:
            db.execute("DELETE FROM commits WHERE stream_id = ?", (key,))
            removed = db.execute("DELETE FROM streams WHERE stream_id = ?", (key,)).rowcount > 0
            self._commit_cids = self._cids_of("commits")  # another stream may hold the same commit
        self._ids.discard(key)
        return removed

    def get(self, stream_id: StreamID) -> tuple[StreamState, dict[CID, bytes]] | None:
        key = stream_id.encode()
        rows = self._read("SELECT state FROM streams WHERE stream_id = ?", key)
        if not rows:
            return None
        commits = self._read("SELECT cid, data FROM commits WHERE stream_id = ?", key)
        return StreamState.from_json(json.loads(rows[0][0])), {codec.as_cid(c): d for c, d in commits}

    def state(self, stream_id: StreamID) -> StreamState | None:
        """A pinned stream's state without its commits: what a peer's query or anchor request
        needs (reading a 1,101-commit stream's blocks for them was ~5 ms a frame)."""
        rows = self._read("SELECT state FROM streams WHERE stream_id = ?", stream_id.encode())
        return StreamState.from_json(json.loads(rows[0][0])) if rows else None

    def is_pinned(self, stream_id: StreamID) -> bool:
        """From memory: no read of the store."""
        return stream_id.encode() in self._ids

    def list(self) -> list[StreamID]:
        """Pinned stream ids, oldest pin first."""
        return [StreamID.parse(row[0]) for row in self._read("SELECT stream_id FROM streams ORDER BY rowid")]

    def holds(self, cid: CID) -> bool:
        """From memory: whether `block` or `get_block` may find the CID (no read of the store)."""
        text = codec.cid_text(cid)
        return text in self._commit_cids or text in self._block_cids

    def block(self, cid: CID) -> bytes | None:
        """A commit block of any pinned stream, for serving a peer's commit fetch."""
        text = codec.cid_text(cid)
        if text not in self._commit_cids:  # from memory: no read for a commit not held here
            return None
        rows = self._read("SELECT data FROM commits WHERE cid = ? LIMIT 1", text)
        return rows[0][0] if rows else None

    # -- raw IPFS-style blocks ---------------------------------------------------------------

    def put_block(self, data: bytes, codec_name: str = codec.RAW) -> CID:
        """Store a block (unpinned, like `ipfs block put`) and return its CID."""
        if codec_name not in BLOCK_CODECS:
            raise ValueError(f"block codec must be one of {BLOCK_CODECS}, got {excerpt.quoted(codec_name)}")
        if codec_name == codec.DAG_CBOR:
            _check_dag_cbor(data)
        cid = codec.cid_of(data, codec_name)
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO blocks (cid, data) VALUES (?, ?)", (str(cid), data))
        self._block_cids.add(str(cid))
        return cid

    def get_block(self, cid: CID) -> bytes | None:
        """Any block held: raw ones, then commits (on IPFS, Ceramic commits are plain blocks)."""
        text = codec.cid_text(cid)
        rows = self._read("SELECT data FROM blocks WHERE cid = ?", text) if text in self._block_cids else []
        data = rows[0][0] if rows else self.block(cid)
        if data is not None and not rows and cid.codec.name == jose.DAG_JOSE:
            return jose.unpack(cid, data).jws  # the block IPFS holds under a JWS CID, not our record of it
        return data

    def pin_block(self, cid: CID) -> bool:
        """Keep a held block through `gc_blocks`; False if the block is not held."""
        return self._set_pinned(cid, 1)

    def unpin_block(self, cid: CID) -> bool:
        return self._set_pinned(cid, 0)

    def _set_pinned(self, cid: CID, pinned: int) -> bool:
        with self._transaction() as db:
            sql = "UPDATE blocks SET pinned = ? WHERE cid = ?"
            return db.execute(sql, (pinned, codec.cid_text(cid))).rowcount > 0

    def pinned_blocks(self) -> list[CID]:
        rows = self._read("SELECT cid FROM blocks WHERE pinned ORDER BY rowid")
        return [codec.as_cid(row[0]) for row in rows]

    def gc_blocks(self) -> int:
        """Remove unpinned raw blocks, like `ipfs repo gc`; returns how many went."""
        with self._transaction() as db:
            removed = db.execute("DELETE FROM blocks WHERE NOT pinned").rowcount
            self._block_cids = self._cids_of("blocks")
            return removed


def _check_dag_cbor(data: bytes) -> None:
    try:
        dag_cbor.decode(data)
    except Exception as exc:  # dag_cbor has no single error root for malformed input
        raise ValueError(f"block is not valid dag-cbor: {exc}") from exc
