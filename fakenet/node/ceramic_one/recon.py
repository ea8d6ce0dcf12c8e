"""Recon: peers that share an interest (a Model) exchange its events by range-based set
reconciliation over the swarm, as rust-ceramic's recon crate does, so the bytes sent grow with
the difference between two nodes' sets, not with the sets.

    rcr {i, r: [[lo, hi, n, h]]}   my fingerprints of these ranges of interest i's EventIds
    rck {i, lo, hi, k: [id]}       every EventId I hold in [lo, hi) (a range small enough to list)
    rcw {i, k: [id]}               send me these events
    rcv {i, v: [[id, car]]}        events: EventId and the event's CAR, both hex

Each round (every ROUND seconds, and soon after this node takes in an event or registers an
interest) a node sends its fingerprint of each interest's whole range to every peer. A peer with
the same interest compares: equal ranges end there; one side holding none gets every event; a
range small on the replying side is listed (rck), and the other side answers with the events the
lister lacks and a want (rcw) for those it lacks itself; a larger one is split at its median key
and the halves' prints go back (rcr). A peer without the interest ignores it: sync runs only
between peers sharing it.

A frame is bounded (ranges, keys, values) and checked field by field before it causes work;
ranges must ascend without overlap, so one frame costs at most one pass over the interest. Each
frame is charged to its sender's work budget first (one unit per frame and per range, key or
event it names, as stream frames are), and a range's keys once read are charged again (one unit
per LEAF keys) before they are hashed: a peer over WORK_RATE units/s is disconnected. Honest sync
costs about three units per event moved (its value, and its key listed in rck and rcw), so the
budget passes 1,000 events/s per peer with room. A round's offers cost the peer two units per
interest, so the feed's interest limit (1,000 by default) keeps them within half the budget; a
round with no peer reads nothing, and one with peers reads the interests' prints again only
after the feed gained an event or an interest.
Events received are stored through ingest.py like a posted event (CID, signature, schema, and
the Model read from the verified event, not from the peer's EventId); a refused one is counted
and dropped. They request no anchor: as in ceramic-one, the node an event was written to anchors
it, not every peer that syncs it. Events sent are read from the feed, which owns their bytes.
Counters per peer are Prometheus text, named as ceramic-one names Recon's.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from contextlib import ExitStack, contextmanager

from multiformats import multibase

from fakenet.node import clock, logs
from fakenet.node.budget import Budgets
from fakenet.node.ceramic_one import event_id, events, ingest, ranges, stream_states
from fakenet.node.connection import Connection
from fakenet.node.database import LazyStore
from fakenet.node.errors import NodeError
from fakenet.node.log_budget import LogBudget
from fakenet.node.streams import StreamID, StreamUnavailable, codec
from fakenet.node.streams.model_stream import META_MODEL_BYTES

ROUND = 1.0  # seconds between rounds when nothing new arrives
GAP = 0.05  # seconds a burst of new events has to gather before the round they trigger
LEAF = 256  # a range with at most this many keys is listed instead of split
MAX_RANGES, MAX_KEYS, MAX_VALUES = 64, LEAF, 512
VALUE_BYTES = 1 << 20  # raw event bytes per rcv frame (hex doubles them, under framing.MAX_FRAME)
MAX_ID = 256  # bytes of an EventId: prefix, hashes and a CID
PASSES = 3  # a data event may come before the one it follows in the same batch
MAX_WAITING = 8  # batches of received events held in memory while another is taken in
# Seconds an event sent to a peer is not sent to it again: while the peer takes a backlog in, its
# rounds show what it has stored, not what is on the wire to it, and each round had every sender
# send the in-flight events again (3.7 sends per event and peer in a 2,000-event intake). A
# peer that dropped a batch (MAX_WAITING) or refused an event gets it again after this.
RESEND = 5.0

PREFIX = "ceramic_recon_"
WORK_RATE, WORK_BURST = 4000, 8000  # units per second, units at once (a full rcv frame is 513)


class Recon:
    def __init__(self, swarm, feed, streams):
        self.swarm, self.feed, self.streams = swarm, feed, streams
        self._log = logs.get()
        self._wake = asyncio.Event()
        self._taking = asyncio.Lock()
        self._waiting = 0  # batches of events queued behind the one being taken in
        self._offering: dict[Connection, asyncio.Task] = {}
        self._pushing: dict[Connection, asyncio.Task] = {}
        self._owed: dict[tuple[Connection, bytes], set[bytes]] = {}  # (peer, interest) -> keys to send it
        self._incoming: set[bytes] = set()  # EventIds received and queued to be taken in, not yet held
        self._sent: dict[Connection, dict[bytes, float]] = {}  # peer -> EventId -> when last sent to it
        self.counts: Counter = Counter()  # (metric, peer, message type or "") -> count
        self._budgets = Budgets(WORK_RATE, WORK_BURST)
        self._running = ranges.RunningPrints()  # each interest range's fingerprint, moved by new events
        self._prefixes: tuple[int, dict[bytes, bytes]] = (-1, {})  # (feed.version, prefixes()) built for it
        self._printed: tuple[tuple[int, int] | None, list[dict]] = (None, [])  # ((version, highwater), _prints())
        self._log_budget = LogBudget()  # what a peer can cause (refusals, over budget): a few lines, counted
        for message_type, handler in (("rcr", self._on_ranges), ("rck", self._on_keys), ("rcw", self._on_want),
                                      ("rcv", self._on_values)):
            swarm.handle(message_type, self._counted(message_type, handler))
        swarm.on_connect.append(self._on_connect)
        swarm.on_disconnect.append(self._forget)
        streams.watchers.append(self)
        feed.on_interest.append(self._wake.set)  # a new interest: sync it now, not a round later

    # -- rounds --------------------------------------------------------------------------------

    def _forget(self, conn: Connection) -> None:
        self._budgets.forget(conn.id)
        self._offering.pop(conn, None)
        self._pushing.pop(conn, None)
        self._sent.pop(conn, None)
        for key in [key for key in self._owed if key[0] is conn]:
            del self._owed[key]

    def note(self, _state, _blocks=None) -> None:
        """A stream watcher: a new event here is a reason to sync soon. Not while a batch is taken
        in (its end wakes the rounds once): a round per event stored had the peers send again
        every event still on its way here."""
        if not self._taking.locked():
            self._wake.set()

    async def _on_connect(self, conn: Connection) -> None:
        await self._offer(conn, self._prints())

    async def run(self) -> None:
        while True:
            try:
                # With no interest a round offers nothing and a peer's offers are ignored: the loop
                # sleeps until one is registered (feed.on_interest wakes it), not once a second.
                async with asyncio.timeout(ROUND if self.prefixes() else None):  # no task per wait, unlike wait_for
                    await self._wake.wait()
                await asyncio.sleep(GAP)  # a timer: lets a burst of posts share one round
            except asyncio.TimeoutError:
                pass
            self._wake.clear()
            try:
                self._round()
            except Exception as exc:  # a bug in one round must not end sync for good: log, go on
                self._log.error("recon_round_failed", error=repr(exc), exc_info=exc)

    def _round(self) -> None:
        """Each peer's offer in its own task: a peer that stops reading fills its own outbox and
        stalls only its own offers (one at a time per peer), never the rounds of the others. With
        no peer, nothing: the prints are read when there is someone to send them to."""
        if not self.swarm.connections:
            return
        prints = self._prints()
        for conn in list(self.swarm.connections.values()):
            if (busy := self._offering.get(conn)) is None or busy.done():
                self._offering[conn] = self.swarm.spawn(self._offer(conn, prints))

    def _prints(self) -> list[dict]:
        """One rcr frame per interest. Unchanged while the interests and the feed are (its rows are
        only ever added, so its highwater moving is the one way a print can): then a round costs
        one query, not one read per interest."""
        key = (self.feed.version, self.feed.highwater())
        if self._printed[0] != key:
            self._printed = (key, [self._print(prefix) for prefix in self.prefixes()])
        return self._printed[1]

    def _print(self, prefix: bytes) -> dict:
        lo, hi = ranges.interest_range(prefix)
        n, h = self._running.of(self.feed.db, lo, hi)
        return {"t": "rcr", "i": prefix.hex(), "r": [[lo.hex(), hi.hex(), n, h]]}

    async def _offer(self, conn: Connection, frames: list[dict]) -> None:
        for frame in frames:
            await self._send(conn, frame)

    def prefixes(self) -> dict[bytes, bytes]:
        """EventId prefix -> Model id bytes, for each interest registered here: built again only
        when one is registered, not on each round and each peer's frame that asks (do not change it)."""
        if self._prefixes[0] != self.feed.version:
            found = {}
            for sep, value in self.feed.interests():
                model = multibase.decode(value)  # a Model's stream id, or the meta-model's (no genesis to parse)
                found[event_id.interest_prefix(self.feed.network_id, sep, model)] = model
            self._prefixes = (self.feed.version, found)
        return self._prefixes[1]

    # -- answering -------------------------------------------------------------------------------

    def _counted(self, message_type: str, handler):
        async def counted(conn: Connection, message: dict) -> None:
            self.counts[("protocol_message_received_count_total", conn.name, message_type)] += 1
            if not self._charge(conn, _cost(message)):
                return
            prefix = _hex(message["i"], 64)
            if prefix in self.prefixes():
                await handler(conn, message, prefix)
        return counted

    def _charge(self, conn: Connection, units: float) -> bool:
        """Spend the peer's budget before the work; over it, the peer is disconnected."""
        if self._budgets.take(conn.id, units):
            return True
        self.counts[("peer_over_budget_count_total", conn.name, "")] += 1
        self._log_budget.warning("recon_peer_over_budget", peer=conn.name, rate=WORK_RATE)
        conn.close(f"over its work budget of {WORK_RATE} units/s (Recon frames)")
        return False

    async def _send(self, conn: Connection, message: dict) -> None:
        self.counts[("protocol_message_sent_count_total", conn.name, message["t"])] += 1
        await conn.send(message)

    async def _on_ranges(self, conn: Connection, message: dict, prefix: bytes) -> None:
        theirs = _ranges(message["r"], prefix)
        splits, lacking = [], []
        for lo, hi, n, h in theirs:
            count, digest, mine = self._range_print(prefix, lo, hi)
            if not self._charge(conn, count / LEAF):  # the keys' hashing is this frame's real work
                return
            if (count, digest) == (n, h):
                continue
            if mine is None:
                mine = ranges.keys(self.feed.db, lo, hi)
            if n == 0:
                lacking += mine
            elif len(mine) <= LEAF:  # listed with the ones queued here, so the peer does not send those again
                listed = sorted({*mine, *(key for key in self._incoming if lo <= key < hi)})[:MAX_KEYS]
                await self._send(conn, {"t": "rck", "i": prefix.hex(), "lo": lo.hex(), "hi": hi.hex(),
                                        "k": [key.hex() for key in listed]})
            else:
                splits += [[a.hex(), b.hex(), *ranges.fingerprint(keys)] for a, b, keys in ranges.split(mine, lo, hi)]
        if splits:
            await self._send(conn, {"t": "rcr", "i": prefix.hex(), "r": splits})
        self._push(conn, prefix, lacking)

    def _range_print(self, prefix: bytes, lo: bytes, hi: bytes) -> tuple[int, str, list[bytes] | None]:
        """(count, hash, the range's keys if they were read): a whole interest range's print is the
        running one; any other range's is hashed from its keys."""
        if (lo, hi) == ranges.interest_range(prefix):
            return (*self._running.of(self.feed.db, lo, hi), None)
        keys = ranges.keys(self.feed.db, lo, hi)
        return (*ranges.fingerprint(keys), keys)

    async def _on_keys(self, conn: Connection, message: dict, prefix: bytes) -> None:
        lo, hi = _bound(message["lo"], prefix), _bound(message["hi"], prefix)
        theirs = {_key(key, prefix, lo, hi) for key in _list(message["k"], MAX_KEYS, "k")}
        mine = set(ranges.keys(self.feed.db, lo, hi))
        if not self._charge(conn, len(mine) / LEAF):
            return
        if want := sorted(theirs - mine - self._incoming):  # queued ones are on their way already
            await self._send(conn, {"t": "rcw", "i": prefix.hex(), "k": [key.hex() for key in want]})
        self._push(conn, prefix, sorted(mine - theirs))

    async def _on_want(self, conn: Connection, message: dict, prefix: bytes) -> None:
        lo, hi = ranges.interest_range(prefix)
        self._push(conn, prefix, [_key(key, prefix, lo, hi) for key in _list(message["k"], MAX_KEYS, "k")])

    def _push(self, conn: Connection, prefix: bytes, keys: list[bytes]) -> None:
        """Events go out from one task per peer that drains what is owed to it: building and
        queueing them must not hold up this link's read loop (searches and answers share it),
        and a key owed twice is sent once."""
        now, sent = clock.monotonic(), self._sent.setdefault(conn, {})
        for key in [key for key, when in sent.items() if now - when >= RESEND]:
            del sent[key]
        keys = [key for key in keys if key not in sent]
        if not keys:
            return
        self._owed.setdefault((conn, prefix), set()).update(keys)
        if (busy := self._pushing.get(conn)) is None or busy.done():
            self._pushing[conn] = self.swarm.spawn(self._drain(conn))

    async def _drain(self, conn: Connection) -> None:
        while owed := [key for key in self._owed if key[0] is conn]:
            _, prefix = owed[0]
            await self._send_values(conn, prefix, sorted(self._owed.pop(owed[0])))

    async def _send_values(self, conn: Connection, prefix: bytes, keys: list[bytes]) -> None:
        for start in range(0, len(keys), MAX_VALUES):
            chunk = keys[start:start + MAX_VALUES]
            cars = await self._cars(chunk)
            batch, size = [], 0
            sent, now = self._sent.setdefault(conn, {}), clock.monotonic()
            for key in (key for key in chunk if key in cars):
                sent[key] = now
                self.counts[("value_sent_count_total", conn.name, "")] += 1
                if batch and size + len(cars[key]) > VALUE_BYTES:
                    await self._send(conn, await self._values(prefix, batch))
                    batch, size = [], 0
                batch.append([key.hex(), cars[key].hex()])
                size += len(cars[key])
            if batch:
                await self._send(conn, await self._values(prefix, batch))

    async def _values(self, prefix: bytes, batch: list) -> dict:
        """An rcv frame, with the interest's Model init event (`m`) when this node has it: each
        MID is checked against its Model, and the peer need not search the network for it."""
        frame = {"t": "rcv", "i": prefix.hex(), "v": batch}
        model = self.prefixes()[prefix]
        if model != META_MODEL_BYTES:
            init = StreamID.from_bytes(model).genesis
            if (block := self.feed.blocks([init]).get(init)) is not None:
                frame["m"] = events.to_car(init, block).hex()
        return frame

    async def _cars(self, keys: list[bytes]) -> dict[bytes, bytes]:
        """The CARs of the events of `keys` this node holds, read from the feed (their durable
        owner: the stream cache may have evicted their streams) with one query for all of them."""
        return {key: events.to_car(codec.as_cid(cid), block) for key, cid, block in self.feed.cars_by_id(keys)}

    # -- taking events in ------------------------------------------------------------------------

    async def _on_values(self, conn: Connection, message: dict, prefix: bytes) -> None:
        lo, hi = ranges.interest_range(prefix)
        sent = {_key(key, prefix, lo, hi): _hex(car, 2 * VALUE_BYTES)  # the frame's shape: all or nothing
                for key, car in _list(message["v"], MAX_VALUES, "v")}
        # Events held or already queued are dropped before their CARs are read: a peer's rounds
        # while a batch is taken in offer the same events again, and reading them was most of the work.
        new = sorted(sent.keys() - self._incoming - set(ranges.held(self.feed.db, list(sent))))
        pending, refused = [], []
        for key in new:
            try:
                pending.append(self._event(key, sent[key]))
            except (NodeError, ValueError) as exc:  # one event's bytes: refused alone
                refused.append(exc)
        if refused:
            self._refused(conn, len(refused), refused[0])
        if not pending:
            return
        if self._waiting >= MAX_WAITING:  # dropped, not lost: the next round offers them again
            self.counts[("value_batch_dropped_count_total", conn.name, "")] += 1
            return
        # Off this link's read loop: taking a MID in may load its Model over this very link.
        self._waiting += 1
        self._incoming |= set(new)
        given = _hex(message["m"], events.MAX_EVENT_BYTES) if "m" in message else None
        self.swarm.spawn(self._take_all(conn, pending, {self.prefixes()[prefix]}, given, set(new)))

    async def _take_all(self, conn: Connection, pending: list, models: set[bytes], given: bytes | None,
                        keys: set[bytes]) -> None:
        try:
            async with self._taking:  # one batch at a time: a peer's frames queue, they do not multiply work
                self._waiting -= 1
                pending = [(cid, data) for cid, data in pending if self.feed.has(cid) is None]
                if pending and await self._model_loads(conn, models, given):
                    await self._take_passes(conn, pending, models)
        finally:
            self._incoming -= keys
            self._wake.set()  # what was stored is news for the peers (note() waits for this)

    async def _take_model(self, model: StreamID, given: bytes | None) -> None:
        """The Model's init event a peer sent along, if this node lacks the Model: taken only if
        it hashes to the CID the Model's stream id names, and stored through the usual checks."""
        if given is None or self.streams.held(model) is not None:
            return
        cid, data = events.from_car(given)
        if cid != model.genesis:
            raise ValueError(f"the Model event sent along is {cid}, not {model}'s init event {model.genesis}")
        await ingest.store(self.streams, self.feed, cid, data, anchor=False)

    async def _model_loads(self, conn: Connection, models: set[bytes], given: bytes | None) -> bool:
        """The interest's Model, loaded once for the batch: each MID is checked against it, and
        a Model no peer can give would otherwise cost every event of the batch a search."""
        (model,) = models
        if model == META_MODEL_BYTES:
            return True
        try:
            await self._take_model(StreamID.from_bytes(model), given)
            await stream_states.load(self.streams, self.feed, StreamID.from_bytes(model))
        except (NodeError, StreamUnavailable, ValueError) as exc:
            self.counts[("value_batch_dropped_count_total", conn.name, "")] += 1
            self._log.info("recon_model_unavailable", peer=conn.name, error=str(exc))
            return False
        return True

    async def _take_passes(self, conn: Connection, pending: list, models: set[bytes]) -> None:
        """Each event checked and stored on its own (a refused one refuses nothing else); the rows
        the feed and index keep of them written in one commit per batch, not one per event."""
        with self._one_commit():
            for _ in range(PASSES):
                pending = [event for event in pending if not await self._take(conn, event, models)]
                if not pending:
                    return
        self._refused(conn, len(pending), None)

    def _refused(self, conn: Connection, count: int, error: Exception | None) -> None:
        self.counts[("invalid_event_count_total", conn.name, "")] += count
        self._log_budget.warning("recon_events_refused", peer=conn.name, count=count,
                                 error=str(error) if error else None)

    @contextmanager
    def _one_commit(self):
        with ExitStack() as stores:
            for watcher in self.streams.watchers:
                if isinstance(watcher, LazyStore):
                    stores.enter_context(watcher.batch())
            yield

    @staticmethod
    def _event(key: bytes, car: bytes):
        cid, data = events.from_car(car)
        if not key.endswith(bytes(cid)):
            raise ValueError(f"EventId {key.hex()} does not end with its event's CID {cid}")
        return cid, data

    async def _take(self, conn: Connection, event, models: set[bytes]) -> bool:
        """Whether the event is now held; a refused one may be retried in a later pass."""
        try:
            await ingest.store(self.streams, self.feed, *event, models=models, anchor=False)
        except (NodeError, StreamUnavailable) as exc:
            self._log.debug("recon_event_not_taken", peer=conn.name, cid=str(event[0]), error=str(exc))
            return False
        self.counts[("key_insert_count_total", conn.name, "")] += 1
        self.counts[("value_insert_count_total", conn.name, "")] += 1
        return True

    # -- metrics ---------------------------------------------------------------------------------

    def metrics_text(self) -> str:
        """Prometheus text exposition: one counter family per metric, a `peer` label on each."""
        lines = []
        for name in sorted({metric for metric, _, _ in self.counts}):
            lines.append(f"# TYPE {PREFIX}{name[:-len('_total')]} counter")
            for (metric, peer, kind), count in sorted(self.counts.items()):
                if metric == name:
                    labels = f'peer="{peer}"' + (f',message_type="{kind}"' if kind else "")
                    lines.append(f"{PREFIX}{name}{{{labels}}} {count}")
        return "\n".join(lines) + "\n"


# -- checking a peer's frame before it causes work -----------------------------------------------


def _cost(message: dict) -> int:
    """Work units a frame names: one, plus one per range, key or event (sizes only, nothing decoded)."""
    return 1 + sum(len(message[field]) for field in ("r", "k", "v")
                   if isinstance(message.get(field), (list, str)))


def _hex(value, limit: int) -> bytes:
    if not isinstance(value, str) or len(value) > 2 * limit:
        raise ValueError(f"expected hex of at most {limit} bytes, got {str(value)[:40]!r}")
    return bytes.fromhex(value)


def _list(value, limit: int, what: str) -> list:
    if not isinstance(value, list) or len(value) > limit:
        raise ValueError(f"{what} must be a list of at most {limit} items")
    return value


def _bound(value, prefix: bytes) -> bytes:
    bound = _hex(value, MAX_ID)
    lo, hi = ranges.interest_range(prefix)
    if not lo <= bound <= hi:
        raise ValueError(f"range bound {value[:40]!r} is outside the interest")
    return bound


def _key(value, prefix: bytes, lo: bytes, hi: bytes) -> bytes:
    key = _hex(value, MAX_ID)
    if not (key.startswith(prefix) and lo <= key < hi):
        raise ValueError(f"EventId {value[:40]!r} is outside the range it was sent for")
    return key


def _ranges(value, prefix: bytes) -> list[tuple[bytes, bytes, int, str]]:
    """[lo, hi, count, hash] entries, ascending and disjoint, inside the interest."""
    found, floor = [], ranges.interest_range(prefix)[0]
    for entry in _list(value, MAX_RANGES, "r"):
        lo, hi, n, h = _list(entry, 4, "a range")
        lo, hi = _bound(lo, prefix), _bound(hi, prefix)
        if not (floor <= lo < hi) or not isinstance(n, int) or n < 0 or len(_hex(h, 32)) != 32:
            raise ValueError("ranges must ascend without overlap and carry a count and a 32-byte hash")
        found.append((lo, hi, n, h.lower()))
        floor = hi
    return found
