"""Every event this node has accepted, in the order it accepted them, with its bytes, and the
interests registered here, in SQLite: what ceramic-one's /feed/events, /events/{cid},
/experimental/events and /interests answer from, and what Recon sends peers.

The feed is the one durable owner of an accepted event's bytes (the commit as the stream store
keeps it: a DAG-JOSE event as jose.py's record), as ceramic-one's event store is: the stream
cache holds unpinned streams only until it evicts them, and an event acknowledged to a client or
synced from a peer must stay servable after that and after a restart. A row's bytes are bounded
by the way the event came in: events.MAX_EVENT_BYTES on 5101, the API body limit on 7007,
recon.VALUE_BYTES by Recon, framing.MAX_FRAME by 7007's gossip or a load from the network.

Interests are bounded (`interest_limit`, the node's --interest-limit): each costs Recon a frame
to every peer every round, and the API that registers them has no auth, as ceramic-one's has
none. They are read from SQLite once and then kept in memory, so registering one checks a set,
not the table, and a reader of the list (Recon's rounds) rebuilds what it derives only when the
list changed (`version`).

The feed's resume token is the position of the last event given (ceramic-one's highwater mark):
a reader passes it back as resumeAt and gets what came after, nothing twice. Events are Model
and MID commits (ceramic-one has no tiles); anchors are fakenet's own and are not events there.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Mapping

from multiformats import CID, multibase

from fakenet.node.ceramic_one import event_id
from fakenet.node.database import DISK, LazyStore
from fakenet.node.errors import NodeError
from fakenet.node.streams import StreamID, StreamState, codec
from fakenet.node.streams.streamid import MID, MODEL

SEP = "model"  # ceramic-one's separator key for Models and MIDs

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, cid TEXT UNIQUE NOT NULL,
                                   id BLOB NOT NULL, stream TEXT NOT NULL, controller TEXT NOT NULL,
                                   block BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_id ON events (id);
CREATE INDEX IF NOT EXISTS events_by_stream ON events (stream);
CREATE TABLE IF NOT EXISTS interests (sep TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (sep, value));
"""


DEFAULT_INTEREST_LIMIT = 1000  # settings.Settings.interest_limit's default


class TooManyInterests(NodeError):
    """A new interest past the node's limit (ceramic-one's API answers it with a 400)."""


@functools.lru_cache(maxsize=1024)
def model_bytes(model: str) -> bytes:
    """A Model's stream id as bytes (the separator value), cached: every event of a Model names it."""
    return multibase.decode(model)


class EventFeed(LazyStore):
    def __init__(self, path: Path, network_id: int, store: str = DISK, interest_limit: int = DEFAULT_INTEREST_LIMIT):
        super().__init__(path, _SCHEMA, store)
        self.network_id, self.interest_limit = network_id, interest_limit
        self.on_interest: list = []  # called with no arguments when an interest is registered anew (Recon syncs then)
        self.version = 0  # moves each time an interest is registered anew
        self._interests: set[tuple[str, str]] | None = None  # the table's rows, read on first use
        self._listed: list[tuple[str, str]] | None = None  # the same, sorted, until the next registration

    @property
    def db(self):
        opened = self._db is not None
        db = super().db
        if not opened:
            _add_block_column(db)
        return db

    def note(self, state: StreamState, blocks: Mapping[CID, bytes]) -> None:
        """Record the stream's events this feed does not have yet, genesis first, with their bytes
        (`blocks`: the stream's commits the service holds or just accepted)."""
        if state.stream_id.type not in (MODEL, MID):
            return
        sep_value = model_bytes(state.model)
        rows = [(entry.text, self._id(sep_value, state, entry.cid), state.stream_id.encode(),
                 state.controllers[0], blocks[entry.cid]) for entry in state.log if entry.kind != "anchor"]
        self.db.executemany("INSERT OR IGNORE INTO events (cid, id, stream, controller, block) VALUES (?, ?, ?, ?, ?)",
                            rows)

    def blocks(self, cids: list[CID]) -> dict[CID, bytes]:
        """The bytes of the events of `cids` this feed holds, in one query."""
        by_text = {codec.cid_text(cid): cid for cid in cids}
        if not by_text:
            return {}
        marks = ",".join("?" * len(by_text))
        return {by_text[cid]: block for cid, block in self.db.execute(
            f"SELECT cid, block FROM events WHERE cid IN ({marks}) AND block IS NOT NULL", list(by_text))}

    def of_stream(self, stream_id: StreamID) -> dict[CID, bytes]:
        """Every event of one stream this feed holds with its bytes, in the order accepted: what the
        node rebuilds a stream from once its cache no longer holds it. One indexed read; as many
        rows as events of the stream this node accepted."""
        rows = self.db.execute("SELECT cid, block FROM events WHERE stream = ? AND block IS NOT NULL ORDER BY seq",
                               (stream_id.encode(),)).fetchall()
        return {codec.as_cid(cid): block for cid, block in rows}

    def cars_by_id(self, ids: list[bytes]) -> list[tuple[bytes, str, bytes]]:
        """(EventId, event CID, its bytes) of the events of `ids` this feed holds: Recon's sending side."""
        marks = ",".join("?" * len(ids))
        return self.db.execute(f"SELECT id, cid, block FROM events WHERE id IN ({marks}) AND block IS NOT NULL",
                               ids).fetchall()

    def _id(self, sep_value: bytes, state: StreamState, cid: CID) -> bytes:
        return event_id.build(self.network_id, SEP, sep_value, state.controllers[0], state.stream_id.genesis, cid)

    def has(self, cid: CID) -> str | None:
        """The stream an event belongs to, if this node has it."""
        row = self.db.execute("SELECT stream FROM events WHERE cid = ?", (codec.cid_text(cid),)).fetchone()
        return row[0] if row else None

    def since(self, resume_at: int, limit: int) -> tuple[list[tuple[str, str]], int]:
        """([(event cid, stream)], new resume token) after position `resume_at`."""
        rows = self.db.execute("SELECT seq, cid, stream FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                               (resume_at, limit)).fetchall()
        return [(cid, stream) for _, cid, stream in rows], (rows[-1][0] if rows else resume_at)

    def highwater(self) -> int:
        return self.db.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]

    def of_interest(self, sep_value: bytes, controller: str | None, stream: str | None, offset: int,
                    limit: int) -> list[tuple[str, str]]:
        """Events of one model (optionally one controller or stream), in EventId order as Recon sorts them."""
        prefix = event_id.interest_prefix(self.network_id, SEP, sep_value)
        where, args = "substr(id, 1, ?) = ?", [len(prefix), prefix]
        for column, value in (("controller", controller), ("stream", stream)):
            if value is not None:
                where, args = f"{where} AND {column} = ?", [*args, value]
        return self.db.execute(f"SELECT cid, stream FROM events WHERE {where} ORDER BY id LIMIT ? OFFSET ?",
                               [*args, limit, offset]).fetchall()

    def register(self, sep: str, value: str) -> None:
        """Idempotent: one held already is no change and is never refused, also at the limit."""
        held = self._held()
        if (sep, value) in held:
            return
        if len(held) >= self.interest_limit:
            raise TooManyInterests(
                f"this node holds its limit of {self.interest_limit} interests and registers no new one (those it "
                f"holds may be registered again); raise the limit with the node's --interest-limit "
                f"(FAKENET_INTEREST_LIMIT): each interest costs a Recon frame to every peer every second")
        self.db.execute("INSERT OR IGNORE INTO interests VALUES (?, ?)", (sep, value))
        held.add((sep, value))
        self._listed, self.version = None, self.version + 1
        for listener in self.on_interest:
            listener()

    def interests(self) -> list[tuple[str, str]]:
        """(sep, value) of each interest, sorted; the same list until one is registered (do not change it)."""
        if self._listed is None:
            self._listed = sorted(self._held())
        return self._listed

    def _held(self) -> set[tuple[str, str]]:
        if self._interests is None:
            self._interests = set(self.db.execute("SELECT sep, value FROM interests").fetchall())
        return self._interests


def _add_block_column(db) -> None:
    """A feed written before it kept bytes gains the column; its old rows hold none (NULL) and are
    served without data, as they were after an eviction."""
    if "block" not in {row[1] for row in db.execute("PRAGMA table_info(events)")}:
        db.execute("ALTER TABLE events ADD COLUMN block BLOB")
