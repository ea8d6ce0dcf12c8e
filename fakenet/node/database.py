"""Where a node's SQLite databases live: a file in the data dir, or this process's memory. Every
store of the node opens SQLite through here (chain, pins, and the Ceramic feed and model index
through LazyStore), so `--store memory` holds for all of them.

On disk (the default) a store keeps its database file open and commits through it, which is
what makes acknowledged writes survive a kill -9.

In memory (`--store memory`) a store holds no file while the node runs: the database is read
whole from its file when opened and written back whole when closed. That is for many nodes
in one process — the sim backend, where a node's crash closes its stores as the kernel closes a
process's files, so a restarted node still finds every stream it pinned — and where two
SQLite files per node (six open descriptors in WAL mode) would hit the process's open-file
limit long before its memory. A real process killed with -9 would lose everything since its
last close: never run a node that must be durable with it.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

DISK, MEMORY = "disk", "memory"
PRIVATE_FILE = 0o600  # the data dir's rule (datadir.py): every file in it is private
STORES = (DISK, MEMORY)
MEMORY_PAGE_SIZE = 1024  # bytes per page of a memory store (see Database.connect)


class _Where(NamedTuple):
    path: Path
    store: str = DISK


class Database(_Where):
    """Where one SQLite store lives: its file, on disk or read into memory (the module docstring).
    A NamedTuple (test_start_classes says why), its store checked as it is made."""

    __slots__ = ()

    def __new__(cls, path: Path, store: str = DISK) -> Database:
        if store not in STORES:
            raise ValueError(f"store must be one of {STORES}, got {store!r}")
        return super().__new__(cls, path, store)

    @property
    def in_memory(self) -> bool:
        return self.store == MEMORY

    def connect(self, pragmas: tuple[str, ...] = (), schema: str | None = None, **options) -> sqlite3.Connection:
        """The store's connection with its `pragmas` run, then its `schema` (a script of CREATE ... IF NOT
        EXISTS, run in autocommit as executescript runs it)."""
        if not self.in_memory:
            return _prepared(sqlite3.connect(str(self.path), **options), pragmas, schema)
        db = sqlite3.connect(":memory:", **options)
        if self.path.exists():
            db.deserialize(self.path.read_bytes())  # its pages are the size it was made with
            return _prepared(db, pragmas, schema)
        # Small pages, set before the schema makes any: every table and index holds at least one
        # page in memory, and a node's stores are nearly empty. An empty store of 4 KB pages
        # costs about 62 KB resident, of 1 KB pages 34 KB: at 10,000 sim nodes with two stores
        # each, 0.55 GB. (On disk the default stays: pages there are I/O, not resident memory.)
        db.execute(f"PRAGMA page_size={MEMORY_PAGE_SIZE}")
        if schema is not None and schema in _FRESH:
            # A new store starts as a copy of the first new store of its schema: the same pages, copied
            # by SQLite's backup, without parsing and running the schema again (a sim of thousands of
            # nodes makes two stores a node: ~0.19 ms each, a copy ~0.1). Not deserialize(): a store
            # read from an image holds the image and its page cache, 21 KB more a store.
            _FRESH[schema].backup(db)
            return _prepared(db, pragmas, None)
        _prepared(db, pragmas, schema)
        if schema is not None:  # its tables alone, no rows: a copy has changed nothing (_changed)
            _FRESH[schema] = fresh = sqlite3.connect(":memory:", check_same_thread=False)
            fresh.execute(f"PRAGMA page_size={MEMORY_PAGE_SIZE}")
            db.backup(fresh)
        return db

    def close(self, db: sqlite3.Connection) -> None:
        """Idempotent, as sqlite3's own close is: a node's stop closes its stores, the sim's kill after it again."""
        if self.in_memory and _changed(db):
            self._write_image(db.serialize())
        db.close()

    def _write_image(self, image: bytes) -> None:
        """Write then rename, so a closing node leaves the old image or the new one, never half of one.
        No fsync: memory stores stand for a simulated disk, which a power cut cannot reach."""
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(image)
        os.replace(tmp, self.path)


# schema script -> a new memory store that holds its tables and nothing else, copied into new stores (connect)
_FRESH: dict[str, sqlite3.Connection] = {}


def _prepared(db: sqlite3.Connection, pragmas: tuple[str, ...], schema: str | None) -> sqlite3.Connection:
    for pragma in pragmas:
        db.execute(pragma)
    if schema is not None:
        db.executescript(schema)
    return db


def _changed(db: sqlite3.Connection) -> bool:
    """False when nothing changed since it was opened (its file, or its absence, still holds it) or it is closed."""
    try:
        return db.total_changes > 0
    except sqlite3.ProgrammingError:  # closed already
        return False


class LazyStore:
    """A store opened on first use: the model index and the event feed of a node that never sees a
    Model or MID cost no files (the sim backend runs thousands of nodes against a file limit it
    sizes for the chain and state stores alone), and in memory none at all.

    WAL and NORMAL sync (no corruption in WAL mode): a commit survives the process's kill -9, not
    a power cut. The model index is rebuilt from the streams the node keeps; the event feed owns its
    events' bytes (feed.py). Autocommit, one statement at a time, unless a caller groups writes in
    `batch()` (Recon takes a batch of events in one).
    """

    def __init__(self, path: Path, schema: str, store: str = DISK):
        self.file, self.schema = Database(Path(path), store), schema
        self._db: sqlite3.Connection | None = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            # Read from worker threads too (a stream's events, read off the event loop: ceramic_one/
            # stream_states.py). SQLite is built serialized (sqlite3.threadsafety 3), so one connection
            # serves both, and such a read sees the rows of a batch the loop has open.
            self._db = self.file.connect(("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"), self.schema,
                                         isolation_level=None, check_same_thread=False)
        return self._db

    @contextmanager
    def batch(self):
        """Every write inside is one commit (nested, the outer one commits). On an error what was
        written is committed still: each row records a stream the node already accepted."""
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN")
        try:
            yield
        finally:
            self.db.execute("COMMIT")

    def close(self) -> None:
        if self._db is not None:
            self.file.close(self._db)
