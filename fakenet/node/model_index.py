"""The models this node indexes and the documents (MIDs) of them it has seen, in SQLite, as
js-ceramic's index API (packages/indexing) keeps them for `/api/v0/collection`.

A MID is indexed when this node creates, updates or loads it while its Model is indexed here
(js-ceramic indexes what reaches the node; a model indexed later does not pick up documents
from before, as there without historical sync). A document whose last update set
`shouldIndex: false` is left out of answers. Pages follow js-ceramic's collection queries:
`first` (with `after`) or `last` (with `before`), at most 1,000 entries; cursors are opaque.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from fakenet.node import excerpt
from fakenet.node.errors import NodeError
from fakenet.node.database import DISK, LazyStore
from fakenet.node.streams import StreamID, StreamState
from fakenet.node.streams.streamid import MID

MAX_ENTRIES = 1000  # js-ceramic's MAX_ENTRIES_ALLOWED

_SCHEMA = """
CREATE TABLE IF NOT EXISTS indexed_models (model TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS documents (seq INTEGER PRIMARY KEY AUTOINCREMENT, stream TEXT UNIQUE NOT NULL,
                                      model TEXT NOT NULL, controller TEXT NOT NULL, hidden INTEGER NOT NULL);
"""


class QueryError(NodeError):
    """A collection query js-ceramic would refuse; the message says why."""


@dataclass(frozen=True)
class Page:
    streams: list[tuple[str, str]]  # (cursor, stream id)
    has_next: bool
    has_previous: bool


class ModelIndex(LazyStore):
    def __init__(self, path: Path, store: str = DISK):
        super().__init__(path, _SCHEMA, store)

    # -- which models --------------------------------------------------------------------------

    def models(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT model FROM indexed_models ORDER BY model")]

    def start(self, models: list[StreamID]) -> None:
        self.db.executemany("INSERT OR IGNORE INTO indexed_models VALUES (?)", [(m.encode(),) for m in models])

    def stop(self, models: list[StreamID]) -> None:
        self.db.executemany("DELETE FROM indexed_models WHERE model = ?", [(m.encode(),) for m in models])

    def is_indexed(self, model: str) -> bool:
        return self.db.execute("SELECT 1 FROM indexed_models WHERE model = ?", (model,)).fetchone() is not None

    # -- documents -----------------------------------------------------------------------------

    def note(self, state: StreamState, _blocks=None) -> None:
        """Record a MID this node accepted, if its Model is indexed here."""
        if state.stream_id.type != MID or not self.is_indexed(state.model):
            return
        self.db.execute(
            "INSERT INTO documents (stream, model, controller, hidden) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (stream) DO UPDATE SET hidden = excluded.hidden",
            (state.stream_id.encode(), state.model, state.controllers[0], state.should_index is False))

    def count(self, models: list[str], account: str | None) -> int:
        where, args = self._where(models, account)
        return self.db.execute(f"SELECT count(*) FROM documents WHERE {where}", args).fetchone()[0]

    def query(self, models: list[str], account: str | None, first: int | None = None, after: str | None = None,
              last: int | None = None, before: str | None = None) -> Page:
        where, args = self._where(models, account)
        if first is not None:
            rows = self._rows(where, args, "seq > ?", _seq(after, 0), "ASC", first)
            return Page([(_cursor(seq), s) for seq, s in rows[:first]], len(rows) > first, after is not None)
        rows = self._rows(where, args, "seq < ?", _seq(before, 2**62), "DESC", last)
        return Page([(_cursor(seq), s) for seq, s in reversed(rows[:last])], before is not None, len(rows) > last)

    def _rows(self, where: str, args: list, bound: str, seq: int, order: str, size: int) -> list:
        return self.db.execute(f"SELECT seq, stream FROM documents WHERE {where} AND {bound} "
                               f"ORDER BY seq {order} LIMIT ?", [*args, seq, size + 1]).fetchall()

    def _where(self, models: list[str], account: str | None) -> tuple[str, list]:
        missing = [m for m in models if not self.is_indexed(m)]
        if not models or missing:
            raise QueryError(f"Attempting to query a model that is not indexed: {missing or 'none given'}; "
                             f"index it first (POST /api/v0/admin/models)")
        where = f"hidden = 0 AND model IN ({','.join('?' * len(models))})"
        return (where + " AND controller = ?", [*models, account]) if account else (where, list(models))


def _cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"seq:{seq}".encode()).decode()


def _seq(cursor: str | None, default: int) -> int:
    if cursor is None:
        return default
    try:
        kind, _, number = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind == "seq":
            return int(number)
    except (ValueError, UnicodeDecodeError):
        pass
    raise QueryError(f"cursor {excerpt.quoted(cursor)} is not one this node gave out")


def page_size(params: dict) -> dict:
    """js-ceramic's parsePagination: `first` or `last`, a positive integer up to MAX_ENTRIES."""
    for size, cursor in (("first", "after"), ("last", "before")):
        value = params.get(size)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            if value > MAX_ENTRIES:
                raise QueryError(f"Invalid input in collection request: Requested too many entries: {value}. "
                                 f"Maximum is {MAX_ENTRIES}")
            return {size: value, cursor: params.get(cursor)}
    raise QueryError("Invalid input in collection request: Can not parse pagination fields: either \"first\" "
                     "or \"last\" should be positive integers")
