"""The block store: every accepted block's bytes and the current tip, in one SQLite file.

WAL mode with synchronous=NORMAL: a commit that has returned survives the process being
killed (-9 included); only a power cut can lose the last few, which a test network can bear.
Each block is committed with the tip it produced in one transaction, so a reopened store
never points at a tip it does not hold.
"""

import pathlib
import sqlite3
import threading

from fakenet.node.database import DISK, Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- arrival order: the first seen wins a tie in work
    hash TEXT NOT NULL UNIQUE,
    height INTEGER NOT NULL,
    n_tx INTEGER NOT NULL,
    raw BLOB NOT NULL,
    status INTEGER NOT NULL DEFAULT 0  -- index.VALIDATED / FAILED / FAILED_CHILD flags
);
"""
HEADER_SIZE = 80


class BlockStore:
    def __init__(self, path: pathlib.Path, store: str = DISK):
        self.path = pathlib.Path(path)
        self._file = Database(self.path, store)
        # The node calls in from its event loop and from worker threads; one lock serialises them.
        self._lock = threading.Lock()
        self._db = self._file.connect(("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"), SCHEMA,
                                      check_same_thread=False)
        with self._lock, self._db:
            self._add_status_column()

    def _add_status_column(self) -> None:
        # Stores written before block statuses existed: their blocks start as status 0 and the
        # chain re-derives what it can (the main chain is validated) when it opens them.
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(blocks)")}
        if "status" not in columns:
            self._db.execute("ALTER TABLE blocks ADD COLUMN status INTEGER NOT NULL DEFAULT 0")

    def get_meta(self, key: str) -> str | None:
        row = self._query("SELECT value FROM meta WHERE key = ?", key)
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._lock, self._db:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def raw(self, block_hash: str) -> bytes | None:
        row = self._query("SELECT raw FROM blocks WHERE hash = ?", block_hash)
        return bytes(row[0]) if row else None

    def headers(self) -> list[tuple[bytes, int, int, int, int]]:
        """(80-byte header, height, n_tx, size, status) of every block, parents before children."""
        with self._lock:
            rows = self._db.execute(
                "SELECT substr(raw, 1, ?), height, n_tx, length(raw), status FROM blocks ORDER BY height, seq",
                (HEADER_SIZE,),
            ).fetchall()
        return rows

    def put(self, block_hash: str, height: int, n_tx: int, raw: bytes, *, tip: str | None, status: int = 0) -> None:
        """Store a block and, if it moved the tip, the new tip, atomically."""
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR IGNORE INTO blocks (hash, height, n_tx, raw, status) VALUES (?, ?, ?, ?, ?)",
                (block_hash, height, n_tx, raw, status),
            )
            if tip is not None:
                self._db.execute("INSERT OR REPLACE INTO meta VALUES ('tip', ?)", (tip,))

    def set_status(self, statuses: dict[str, int], *, tip: str | None = None) -> None:
        """Record new block statuses and, if given, the tip they produced, atomically."""
        with self._lock, self._db:
            self._db.executemany("UPDATE blocks SET status = ? WHERE hash = ?",
                                 [(status, block_hash) for block_hash, status in statuses.items()])
            if tip is not None:
                self._db.execute("INSERT OR REPLACE INTO meta VALUES ('tip', ?)", (tip,))

    def size(self) -> int:
        """Bytes of the database, committed pages wherever they are (file, WAL or memory)."""
        with self._lock:
            pages = self._db.execute("PRAGMA page_count").fetchone()[0]
            return pages * self._db.execute("PRAGMA page_size").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._file.close(self._db)

    def _query(self, sql: str, *args) -> tuple | None:
        with self._lock:
            return self._db.execute(sql, args).fetchone()
