"""The node's proof-of-work chain: block index, most-work fork choice, reorgs, sync helpers.

Synchronous and self-contained: the swarm and RPC code call in and relay what comes out.
Every stored block's header is held in memory (`_index`); the main chain is a list of
hashes by height; block bytes stay in the SQLite store.
"""

import logging
import pathlib
import threading
from collections.abc import Callable

from bitcoin.core import CBlock, CBlockHeader, Hash, b2lx

from .. import clock as node_clock, entropy
from ..database import DISK
from ..errors import NodeConfigError
from . import block as blocks
from . import pow, template, tips, validate
from .headers import HeaderTree
from .index import FAILED, FAILED_CHILD, FAILED_MASK, HEADERS_ONLY, VALIDATED, AddResult, BlockIndex
from .orphans import OrphanPool
from .store import HEADER_SIZE, BlockStore

log = logging.getLogger(__name__)

MEDIAN_TIME_SPAN = 11  # blocks in bitcoin's median-time-past
LOCATOR_DENSE = 10  # the locator's first hashes are consecutive, then the step doubles

TipListener = Callable[[list[BlockIndex], list[BlockIndex]], None]


class Chain:
    """One network's chain, stored at `path` (created if absent).

    `on_tip_changed` listeners get (disconnected blocks old-tip-first, connected blocks
    fork-point-first) after every tip change, a plain extension being a reorg that
    disconnects nothing.
    """

    def __init__(
        self,
        path: pathlib.Path,
        network: str,
        *,
        clock: Callable[[], float] = node_clock.wall,
        max_orphans: int = 1000,
        store: str = DISK,
    ):
        self.network = network
        self.bits = pow.REGTEST_BITS
        self.on_tip_changed: list[TipListener] = []
        # Where templates get their non-coinbase transactions (the node's anchor batches).
        self.transaction_source: Callable[[], list] = list
        self._clock = clock
        self._lock = threading.RLock()
        self._index: dict[str, BlockIndex] = {}  # insertion order is arrival order: first seen wins ties
        self._status: dict[str, int] = {}  # index.VALIDATED / FAILED / FAILED_CHILD per stored block
        self._main: list[str] = []
        self._headers = HeaderTree()  # headers submitted without their blocks (submitheader)
        self._orphans = OrphanPool(max_orphans)
        self._tip_changes = 0
        genesis = blocks.genesis_block(network)
        self.genesis_hash = blocks.block_hash(genesis)
        self._store = BlockStore(path, store)
        self._open(genesis)

    # -- opening -----------------------------------------------------------------------------

    def _open(self, genesis: CBlock) -> None:
        stored_network = self._store.get_meta("network")
        if stored_network is None:
            # Genesis before the name: a crash in between leaves a store that still opens.
            self._store.put(self.genesis_hash, 0, 1, genesis.serialize(), tip=self.genesis_hash, status=VALIDATED)
            self._store.set_meta("network", self.network)
        elif stored_network != self.network:
            self._fail_open(f"holds the chain of network {stored_network!r}, not {self.network!r}")
        self._load_index()
        if self.genesis_hash not in self._index:
            self._fail_open(f"has a different genesis block for {self.network!r} than {self.genesis_hash}")
        tip = self._store.get_meta("tip")
        self._main = self._ancestry(self._index[tip] if tip in self._index else self._best_candidate())
        for block_hash in self._main:  # stores from before statuses were kept
            self._status[block_hash] |= VALIDATED
        # A kill between storing a block and recording it as the tip leaves it a side branch.
        if self._best_candidate().chainwork > self.tip().chainwork:
            self._switch_tip(self._best_candidate())

    def _fail_open(self, problem: str) -> None:
        self._store.close()
        raise NodeConfigError(f"chain store {self._store.path} {problem}")

    def _load_index(self) -> None:
        for header, height, n_tx, size, status in self._store.headers():
            header = CBlockHeader.deserialize(bytes(header))
            parent = self._index.get(b2lx(header.hashPrevBlock))
            work = (parent.chainwork if parent else 0) + pow.block_work(header.nBits)
            entry = BlockIndex.of(header, height=height, chainwork=work, n_tx=n_tx, size=size)
            self._index[entry.hash] = entry
            self._status[entry.hash] = status

    def _best_candidate(self) -> BlockIndex:
        """The most-work block not marked failed; max() keeps the first seen of equals."""
        return max((entry for entry in self._index.values() if not self._status[entry.hash] & FAILED_MASK),
                   key=lambda entry: entry.chainwork)

    def _ancestry(self, entry: BlockIndex) -> list[str]:
        hashes = [entry.hash]
        while entry.height > 0:
            entry = self._index[entry.prev_hash]
            hashes.append(entry.hash)
        return hashes[::-1]

    # -- queries -----------------------------------------------------------------------------

    def tip(self) -> BlockIndex:
        return self._index[self._main[-1]]

    def height(self) -> int:
        return len(self._main) - 1

    def get_index(self, block_hash: str) -> BlockIndex | None:
        return self._index.get(block_hash)

    def lookup(self, block_hash: str) -> BlockIndex | None:
        """A stored block's entry or a headers-only one (what getblockheader can show)."""
        with self._lock:
            return self._index.get(block_hash) or self._headers.get(block_hash)

    def best_header(self) -> BlockIndex:
        """The most-work header known, stored or headers-only (bitcoin-core's pindexBestHeader):
        getblockchaininfo's "headers" is its height. The tip wins ties."""
        with self._lock:
            return max([self.tip(), *self._headers.values()], key=lambda entry: entry.chainwork)

    def _entry(self, block_hash: str) -> BlockIndex:
        """A stored block's entry, or a headers-only one; KeyError when neither is known."""
        entry = self._index.get(block_hash) or self._headers.get(block_hash)
        if entry is None:
            raise KeyError(block_hash)
        return entry

    def get_raw_block(self, block_hash: str) -> bytes | None:
        return self._store.raw(block_hash) if block_hash in self._index else None

    def get_waiting_block(self, block_hash: str) -> bytes | None:
        """A block whose parent is headers-only, held until the parent's block arrives: core
        has it on disk already, so getblock shows it."""
        with self._lock:
            return self._orphans.raw(block_hash) if block_hash in self._headers else None

    def get_block(self, block_hash: str) -> CBlock | None:
        raw = self.get_raw_block(block_hash)
        return validate.parse(raw) if raw is not None else None  # cached: anchoring re-reads recent blocks

    def hash_at(self, height: int) -> str | None:
        return self._main[height] if 0 <= height < len(self._main) else None

    def in_main_chain(self, block_hash: str) -> bool:
        entry = self._index.get(block_hash)
        return entry is not None and self.hash_at(entry.height) == block_hash

    def chainwork(self, block_hash: str | None = None) -> int:
        """Total work up to `block_hash` (the tip by default); KeyError for an unknown block."""
        return (self.tip() if block_hash is None else self._index[block_hash]).chainwork

    def difficulty(self) -> float:
        return pow.difficulty(self.bits)

    def median_time_past(self, block_hash: str | None = None) -> int:
        """Median time of the last 11 blocks up to `block_hash`: a new block must be later."""
        entry = self.tip() if block_hash is None else self._entry(block_hash)
        times = [entry.time]
        while entry.height > 0 and len(times) < MEDIAN_TIME_SPAN:
            entry = self._entry(entry.prev_hash)
            times.append(entry.time)
        return sorted(times)[len(times) // 2]

    @property
    def orphan_count(self) -> int:
        return len(self._orphans)

    def is_failed(self, block_hash: str) -> bool:
        return bool(self._status.get(block_hash, 0) & FAILED_MASK) or self._headers.failed(block_hash)

    def chain_tips(self) -> list[dict]:
        """getchaintips' answer: the main chain's tip and every side branch's."""
        with self._lock:
            entries = [*self._index.values(), *self._headers.values()]
            return tips.chain_tips(entries, self._tip_status, self._main)

    def _tip_status(self, block_hash: str) -> int:
        if block_hash in self._status:
            return self._status[block_hash]
        return HEADERS_ONLY | (FAILED if self._headers.failed(block_hash) else 0)

    # -- sync --------------------------------------------------------------------------------

    def locator(self) -> list[str]:
        """Main-chain hashes from the tip back to genesis, dense first, then exponentially apart."""
        hashes, step, height = [], 1, self.height()
        while height > 0:
            hashes.append(self._main[height])
            if len(hashes) >= LOCATOR_DENSE:
                step *= 2
            height -= step
        return hashes + [self.genesis_hash]

    def blocks_after(self, locator: list[str], limit: int = 500) -> list[bytes]:
        """Raw main-chain blocks after the highest locator hash on our main chain (or genesis)."""
        with self._lock:
            start = max((self._index[h].height for h in locator if self.in_main_chain(h)), default=0)
            hashes = self._main[start + 1 : start + 1 + limit]
        return [self._store.raw(h) for h in hashes]

    # -- mining ------------------------------------------------------------------------------

    def block_template(self, coinbase_script: bytes | None = None) -> dict:
        """getblocktemplate's answer; with `coinbase_script`, also a ready coinbase paying it."""
        with self._lock:
            tip = self.tip()
            tmpl = template.template(
                prev_hash=tip.hash,
                height=tip.height + 1,
                bits=self.bits,
                median_time_past=self.median_time_past(),
                now=self._clock(),
                longpollid=f"{tip.hash}{self._tip_changes}",
            )
        tmpl["transactions"] = [template.transaction_entry(tx) for tx in self.transaction_source()]
        if coinbase_script is not None:
            tmpl["coinbasetxn"] = template.coinbasetxn(self._coinbase(tmpl, coinbase_script))
        return tmpl

    def mine(self, script_pubkey: bytes, extra: bytes = b"") -> bytes:
        """A solved block on the current tip paying `script_pubkey`; not added (see add_block)."""
        tmpl = self.block_template()
        return template.solve(tmpl, self._coinbase(tmpl, script_pubkey, extra)).serialize()

    @staticmethod
    def _coinbase(tmpl: dict, script_pubkey: bytes, extra: bytes = b""):
        # A random extranonce, so two nodes mining the same height in the same second differ.
        return blocks.coinbase_tx(tmpl["height"], script_pubkey, tmpl["coinbasevalue"], entropy.token_bytes(8), extra)

    def check_proposal(self, raw: bytes) -> str | None:
        """BIP23 block proposal, answered as bitcoin-core's getblocktemplate "proposal" mode:
        None for a block that would become the tip, else why not. Nothing is stored."""
        raw = bytes(raw)
        with self._lock:
            block_hash = b2lx(Hash(raw[:HEADER_SIZE]))
            if block_hash in self._index:
                if self.is_failed(block_hash):
                    return "duplicate-invalid"
                return "duplicate" if self._status[block_hash] & VALIDATED else "duplicate-inconclusive"
            block = validate.decode(raw)
            tip = self.tip()
            # As bitcoin-core: only a block on the current tip can be tested.
            if b2lx(block.hashPrevBlock) != tip.hash:
                return "inconclusive-not-best-prevblk"
            try:
                validate.check_header_contextual(block, self.bits, self.median_time_past(), self._clock())
                validate.check_block(raw, check_pow=False)
                validate.check_block_contextual(block, tip.height + 1)
            except validate.BlockRejected as exc:
                return exc.reason
            return None

    # -- adding headers (submitheader) -------------------------------------------------------

    def knows(self, block_hash: str) -> bool:
        """Whether a block or a headers-only entry has this hash (bitcoin-core's LookupBlockIndex)."""
        with self._lock:
            return block_hash in self._index or block_hash in self._headers

    def add_header(self, raw: bytes) -> AddResult:
        """Check an 80-byte header as bitcoin-core's AcceptBlockHeader does and keep it headers-only:
        "duplicate" for one already known (reason "duplicate" if it failed), "orphan" for an unknown
        parent, "invalid" with the reject reason, else "accepted". Never raises on bad input."""
        header = CBlockHeader.deserialize(bytes(raw[:HEADER_SIZE]))
        block_hash = b2lx(header.GetHash())
        with self._lock:
            if self.knows(block_hash):
                return AddResult("duplicate", "duplicate" if self.is_failed(block_hash) else None, block_hash)
            if not pow.meets_target(header):
                return AddResult("invalid", "high-hash", block_hash)
            parent_hash = b2lx(header.hashPrevBlock)
            if not self.knows(parent_hash):
                return AddResult("orphan", "prev-blk-not-found", block_hash)
            if self.is_failed(parent_hash):
                return AddResult("invalid", "bad-prevblk", block_hash)
            try:
                validate.check_header_contextual(header, self.bits, self.median_time_past(parent_hash), self._clock())
            except validate.BlockRejected as exc:
                return AddResult("invalid", exc.reason, block_hash)
            parent = self._entry(parent_hash)
            work = parent.chainwork + pow.block_work(header.nBits)
            self._headers.add(BlockIndex.of(header, height=parent.height + 1, chainwork=work, n_tx=0, size=0))
            return AddResult("accepted", None, block_hash)

    # -- adding blocks -----------------------------------------------------------------------

    def add_block(self, raw: bytes) -> AddResult:
        """Validate, store and maybe switch to `raw`; never raises on bad input."""
        raw = bytes(raw)
        with self._lock:
            block_hash = b2lx(Hash(raw[:HEADER_SIZE])) if len(raw) >= HEADER_SIZE else None
            if block_hash in self._index:
                return AddResult("duplicate", "duplicate-invalid" if self.is_failed(block_hash) else "duplicate",
                                 block_hash)
            if self._headers.failed(block_hash):  # broke a rule while its parent was headers-only
                return AddResult("duplicate", "duplicate-invalid", block_hash)
            try:
                block = validate.check_block(raw)
            except validate.BlockRejected as exc:
                return AddResult("invalid", exc.reason, block_hash)
            parent = b2lx(block.hashPrevBlock)
            if parent in self._headers:
                return self._add_above_header(block, raw)
            if parent not in self._index:
                self._orphans.add(block_hash, parent, block, raw)
                return AddResult("orphan", "prev-blk-not-found", block_hash)
            result = self._connect(block, raw)
            if result.ok:
                result = result._replace(orphans_connected=tuple(self._connect_orphans(block_hash)))
            return result

    def _add_above_header(self, block: CBlock, raw: bytes) -> AddResult:
        """A block whose parent is headers-only: bitcoin-core stores it, checked as far as its
        height allows, and answers "inconclusive" until the parent's block arrives. Here it
        waits in the orphan pool, its header kept headers-only so getchaintips shows it as
        core does; the parent's block connects it (_connect_orphans)."""
        block_hash, parent = blocks.block_hash(block), b2lx(block.hashPrevBlock)
        if block_hash in self._orphans:
            return AddResult("duplicate", "duplicate", block_hash)
        height = self._headers.get(parent).height + 1  # read first: adding a header may evict others
        result = self.add_header(block.get_header().serialize())
        if result.status == "invalid":
            return result
        try:
            validate.check_block_contextual(block, height)
        except validate.BlockRejected as exc:
            self._headers.mark_failed(block_hash)  # as core remembers it; the block itself is not kept
            return AddResult("invalid", exc.reason, block_hash)
        self._orphans.add(block_hash, parent, block, raw)
        return AddResult("orphan", "inconclusive", block_hash)

    def _connect_orphans(self, parent: str) -> list[str]:
        """Connect the orphans waiting on `parent`, and theirs in turn; returns their hashes."""
        connected, waiting = [], [parent]
        while waiting:
            for block, raw in self._orphans.pop_children(waiting.pop()):
                result = self._connect(block, raw)
                if result.ok:
                    connected.append(result.block_hash)
                    waiting.append(result.block_hash)
                else:
                    log.info("dropped orphan %s: %s", result.block_hash, result.reason)
        return connected

    def _connect(self, block: CBlock, raw: bytes) -> AddResult:
        """Place a checked block whose parent is known; switch to it if it has the most work."""
        parent = self._index[b2lx(block.hashPrevBlock)]
        block_hash = blocks.block_hash(block)
        if self.is_failed(parent.hash):
            return AddResult("invalid", "bad-prevblk", block_hash)
        try:
            validate.check_header_contextual(block, self.bits, self.median_time_past(parent.hash), self._clock())
        except validate.BlockRejected as exc:
            return AddResult("invalid", exc.reason, block_hash)
        work = parent.chainwork + pow.block_work(block.nBits)
        entry = BlockIndex.of(block, height=parent.height + 1, chainwork=work, n_tx=len(block.vtx), size=len(raw))
        try:
            validate.check_block_contextual(block, entry.height)
        except validate.BlockRejected as exc:
            # Remembered as invalid, as bitcoin-core does: getchaintips shows it, a resend is
            # "duplicate-invalid" and a child "bad-prevblk".
            self._store_entry(entry, raw, FAILED)
            return AddResult("invalid", exc.reason, block_hash)
        self._store_entry(entry, raw, 0)
        # Strictly more work: on a tie the block seen first stays the tip, as in bitcoin.
        became_tip = entry.chainwork > self.tip().chainwork
        if became_tip:
            self._switch_tip(entry)
        return AddResult("accepted", None if became_tip else "inconclusive", block_hash, became_tip)

    def _store_entry(self, entry: BlockIndex, raw: bytes, status: int) -> None:
        self._store.put(entry.hash, entry.height, entry.n_tx, raw, tip=None, status=status)
        self._index[entry.hash] = entry
        self._status[entry.hash] = status
        self._headers.pop(entry.hash)  # a header submitted before its block is headers-only no more

    # -- invalidateblock / reconsiderblock ---------------------------------------------------

    def invalidate(self, block_hash: str) -> None:
        """Mark a block failed and its descendants failed-child, and leave it if it is on the
        main chain (bitcoin-core's invalidateblock); KeyError for an unknown block."""
        with self._lock:
            if self._index[block_hash].height == 0:
                raise ValueError("the genesis block cannot be invalidated")
            changed = {block_hash: self._status[block_hash] | FAILED}
            changed.update({h: self._status[h] | FAILED_CHILD for h in self._descendants(block_hash)})
            self._set_statuses(changed)
            self._activate_best(force=self.in_main_chain(block_hash))

    def reconsider(self, block_hash: str) -> None:
        """Clear the failure marks of a block, its ancestors and its descendants, then move to
        the most-work chain (bitcoin-core's reconsiderblock); KeyError for an unknown block."""
        with self._lock:
            related = [*self._ancestry(self._index[block_hash]), *self._descendants(block_hash)]
            self._set_statuses({h: self._status[h] & ~FAILED_MASK for h in related if self._status[h] & FAILED_MASK})
            self._activate_best(force=False)

    def _descendants(self, block_hash: str) -> list[str]:
        found = {block_hash}
        height = self._index[block_hash].height
        # The index is in arrival order, and a parent always arrives before its child.
        for entry in self._index.values():
            if entry.height > height and entry.prev_hash in found:
                found.add(entry.hash)
        found.discard(block_hash)
        return [h for h in self._index if h in found]

    def _set_statuses(self, changed: dict[str, int], tip: str | None = None) -> None:
        self._store.set_status(changed, tip=tip)
        self._status.update(changed)

    def _activate_best(self, *, force: bool) -> None:
        """Switch to the best candidate if it has more work, or at once when the tip is failed."""
        best = self._best_candidate()
        if best.hash != self.tip().hash and (force or best.chainwork > self.tip().chainwork):
            self._switch_tip(best)

    def _switch_tip(self, new_tip: BlockIndex) -> None:
        connected = []
        fork = new_tip
        while not self.in_main_chain(fork.hash):
            connected.append(fork)
            fork = self._index[fork.prev_hash]
        connected.reverse()
        disconnected = [self._index[h] for h in reversed(self._main[fork.height + 1 :])]
        self._main[fork.height + 1 :] = [entry.hash for entry in connected]
        self._set_statuses({entry.hash: self._status[entry.hash] | VALIDATED for entry in connected}, tip=new_tip.hash)
        self._tip_changes += 1
        if disconnected:
            log.info("reorg: %d block(s) disconnected down to %s (height %d)", len(disconnected), fork.hash, fork.height)
        self._notify(disconnected, connected)

    def _notify(self, disconnected: list[BlockIndex], connected: list[BlockIndex]) -> None:
        for listener in list(self.on_tip_changed):
            # The block is already stored and the tip moved: a failing listener is its own bug
            # and must not stop the others or turn an accepted block into an error.
            try:
                listener(disconnected, connected)
            except Exception:
                log.exception("on_tip_changed listener %r failed", listener)

    # -- lifecycle ---------------------------------------------------------------------------

    def size_on_disk(self) -> int:
        return self._store.size()

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> "Chain":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
