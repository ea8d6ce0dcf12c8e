"""An SQLite store opened on first use: the model index and the event feed of a node that never
sees a Model or MID cost no files (the sim backend runs thousands of nodes against a file limit
it sizes for the chain and state stores alone).

WAL and NORMAL sync: what these stores hold is rebuilt from the streams the node keeps, whose
own store syncs in full.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


class LazySqlite:
    def __init__(self, path: Path, schema: str):
        self.path, self.schema = path, schema
        self._db: sqlite3.Connection | None = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(self.schema)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
