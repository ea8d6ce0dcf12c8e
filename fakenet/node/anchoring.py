"""Anchoring stream tips in the chain, the way Ceramic anchors them in a blockchain.

Anchor requests (stream, tip) are gossiped to every node, so whichever node mines next (or an
external miner through getblocktemplate) puts the batch in its block: one transaction whose
OP_RETURN outputs carry the Merkle root of the batch and its leaves. Every node that connects
such a block appends the same deterministic anchor commit to each stream it holds at that tip
(PENDING → ANCHORED). A block reorged out takes its anchors with it: those streams go back to
PENDING and are requested again, so the winning chain anchors them anew.

A request is a peer's word (issue 24). One for a stream this node holds is kept only for the tip
this node verified as the stream's latest, so nobody can swap an old tip in; one for a stream it
does not hold is kept per peer (a peer's later request for that stream replaces only its own),
at most PER_PEER streams for each of at most PEERS peers, after its stream id and CID parsed.
Batches are capped in entries and bytes, so no request can make a block template too large, and
a block's entries are taken one by one, so a bad entry (from an outside miner) spoils only itself.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from bitcoin.core import CMutableTransaction, CMutableTxIn, CMutableTxOut, COutPoint, CTransaction, b2lx
from bitcoin.core.script import OP_RETURN, CScript

from multiformats import CID

from fakenet.node import logs, strict_json
from fakenet.node.echo import Bounded
from fakenet.node.streams import (AnchorStatus, InvalidStreamID, StreamID, apply_anchor, codec, make_anchor,
                                  without_anchor)

if TYPE_CHECKING:
    from fakenet.node.chain import BlockIndex, Chain
    from fakenet.node.stream_service import StreamService

MAGIC = b"FNANCHOR1"
MAX_BATCH = 1000
MAX_BATCH_BYTES = 100_000  # of leaves in one anchor transaction: a template stays far below 1 MB
MAX_PENDING = 20000
PER_PEER, PEERS = 1000, 256


def _leaf(stream_id: str, tip: str) -> bytes:
    return hashlib.sha256(f"{stream_id}/{tip}".encode()).digest()


def _pair(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(left + right).digest()


def merkle_root_and_paths(leaves: list[bytes]) -> tuple[bytes, list[list[list]]]:
    """Bitcoin-style tree (an odd node pairs with itself); per leaf, its path of [side, sibling]."""
    paths: list[list[list]] = [[] for _ in leaves]
    positions = list(range(len(leaves)))
    level = list(leaves)
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        for leaf, pos in enumerate(positions):
            sibling = pos ^ 1
            paths[leaf].append(["L" if sibling < pos else "R", level[sibling].hex()])
            positions[leaf] = pos // 2
        level = [_pair(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0], paths


def verify_path(stream_id: str, tip: str, path: list, root_hex: str) -> bool:
    node = _leaf(stream_id, tip)
    for side, sibling in path:
        node = _pair(bytes.fromhex(sibling), node) if side == "L" else _pair(node, bytes.fromhex(sibling))
    return node.hex() == root_hex


def anchor_tx(batch: list[tuple[str, str]]) -> CTransaction:
    root, _ = merkle_root_and_paths([_leaf(s, t) for s, t in batch])
    leaves = json.dumps(batch, separators=(",", ":")).encode()
    # No UTXO set is kept, so the input only has to be non-null and unique per batch.
    txin = CMutableTxIn(COutPoint(hashlib.sha256(MAGIC + root).digest(), 0))
    outs = [CMutableTxOut(0, CScript([OP_RETURN, MAGIC + root])), CMutableTxOut(0, CScript([OP_RETURN, leaves]))]
    return CTransaction.from_tx(CMutableTransaction([txin], outs))


def parse_anchor_tx(tx) -> list[tuple[str, str]] | None:
    """The batch of an anchor transaction, or None for any other transaction."""
    try:
        head, body = (list(CScript(out.scriptPubKey)) for out in tx.vout[:2])
        if head[0] != OP_RETURN or not bytes(head[1]).startswith(MAGIC) or body[0] != OP_RETURN:
            return None
        batch = [(str(s), str(t)) for s, t in strict_json.loads(bytes(body[1]))]
    except (ValueError, TypeError, IndexError):
        return None
    root, _ = merkle_root_and_paths([_leaf(s, t) for s, t in batch]) if batch else (b"", [])
    return batch if batch and bytes(head[1])[len(MAGIC):] == root else None


class AnchorService:
    def __init__(self, chain: Chain, streams: StreamService, network_name: str):
        self.chain, self.streams, self.network_name = chain, streams, network_name
        self._verified: dict[str, str] = {}  # stream id -> tip this node verified, waiting for a block
        self.relayed: Bounded = Bounded(PEERS)  # peer id -> {stream id -> tip} of streams not held here
        self._log = logs.get()
        self._proven_block, self._proven = None, {}
        chain.transaction_source = self.transactions
        chain.on_tip_changed.append(self.on_tip_changed)

    @property
    def pending(self) -> dict[str, str]:
        """Stream id -> tip of the requests waiting for a block (this node's verified tip where it
        has one), for status pages; a copy."""
        return dict(reversed(self.requests()))

    def request(self, stream_id: str, tip: str) -> bool:
        """Queue a tip this node verified as the stream's latest; False if it was already queued."""
        if self._verified.get(stream_id) == tip or len(self._verified) >= MAX_PENDING:
            return False
        self._verified[stream_id] = tip
        return True

    async def request_from(self, peer: str, stream_id: StreamID, tip: CID) -> bool:
        """A peer's request, kept (True) only as the module docstring says."""
        held = await self.streams.find_state(stream_id)
        tip_text = codec.cid_text(tip)  # cached: str(CID) is a millisecond of multiformats, per request
        if held is not None:
            return held.tip == tip and held.anchor_status is not AnchorStatus.ANCHORED \
                and self.request(stream_id.encode(), tip_text)
        asked = self.relayed.get(peer) or {}
        if asked.get(stream_id.encode()) == tip_text or (len(asked) >= PER_PEER and stream_id.encode() not in asked):
            return False
        asked[stream_id.encode()] = tip_text
        self.relayed.remember(peer, asked)
        return True

    def requests(self) -> list[tuple[str, str]]:
        """(stream id, tip) of every request kept: this node's first, then its peers'."""
        relayed = ((s, t) for asked in self.relayed.values() for s, t in asked.items() if s not in self._verified)
        return list(dict.fromkeys([*self._verified.items(), *relayed]))

    def transactions(self) -> list[CTransaction]:
        batch, size = [], 0
        for stream_id, tip in sorted(self.requests()):
            size += len(stream_id) + len(tip) + 6  # its JSON: ["…","…"],
            if len(batch) == MAX_BATCH or size > MAX_BATCH_BYTES:
                break
            batch.append((stream_id, tip))
        return [anchor_tx(batch)] if batch else []

    def on_tip_changed(self, disconnected: list[BlockIndex], connected: list[BlockIndex]) -> None:
        for index in disconnected:
            self._unanchor(index)
        for index in connected:
            self._anchor_block(index)

    def _batches(self, index: BlockIndex):
        block = self.chain.get_block(index.hash)
        for tx in block.vtx[1:] if block else ():
            batch = parse_anchor_tx(tx)
            if batch:
                yield tx, batch

    def proofs(self, index: BlockIndex) -> dict[tuple[str, str], dict]:
        """{(stream id, tip): proof} for every anchor the block at `index` carries."""
        proofs = {}
        for tx, batch in self._batches(index):
            root, paths = merkle_root_and_paths([_leaf(s, t) for s, t in batch])
            for (stream_id, tip), path in zip(batch, paths):
                proofs[(stream_id, tip)] = {"chain": self.network_name, "blockHash": index.hash,
                                            "blockHeight": index.height, "root": root.hex(), "path": path,
                                            "txHash": b2lx(tx.GetTxid())}
        return proofs

    def proven(self, stream_id: StreamID, tip, proof: dict) -> bool:
        """Whether `proof` is exactly the proof this node derives for (stream, tip) from a block on
        its best chain: anything else (forged, a side branch, a block not seen yet) does not count."""
        block_hash = proof.get("blockHash")
        if not isinstance(block_hash, str) or not self.chain.in_main_chain(block_hash):
            return False
        if self._proven_block != block_hash:  # a log's anchors often share blocks: parse each once
            self._proven_block, self._proven = block_hash, self.proofs(self.chain.get_index(block_hash))
        return self._proven.get((stream_id.encode(), codec.cid_text(tip))) == proof

    def _anchor_block(self, index: BlockIndex) -> None:
        for (stream_id, tip), proof in self.proofs(index).items():
            if self._verified.get(stream_id) == tip:
                del self._verified[stream_id]
            for asked in self.relayed.values():
                if asked.get(stream_id) == tip:
                    del asked[stream_id]
            if _parses(stream_id):
                self._apply(stream_id, tip, proof)

    def _apply(self, stream_id: str, tip: str, proof: dict) -> None:
        held = self.streams.held(StreamID.parse(stream_id))
        if held is None or held.state.log[-1].text != tip:
            return  # not ours, or the stream moved on: its newer tip has its own request
        cid, data = make_anchor(held.state, proof)
        state = apply_anchor(held.state, cid, data)
        self.streams.store(state, {cid: data})
        self._log.info("stream_anchored", stream=stream_id, block=proof["blockHash"], height=proof["blockHeight"])

    def _unanchor(self, index: BlockIndex) -> None:
        for _tx, batch in self._batches(index):
            for stream_id, _tip in batch:
                held = self.streams.held(StreamID.parse(stream_id)) if _parses(stream_id) else None
                if held is None:
                    continue
                state = without_anchor(held.state, index.hash)
                if state is not held.state:
                    self.streams.store(state, {})
                    self._verified[stream_id] = codec.cid_text(state.tip)
                    self.streams.network.swarm.spawn(
                        self.streams.network.publish_anchor_request(stream_id, codec.cid_text(state.tip)))
                    self._log.info("stream_anchor_reorged", stream=stream_id, block=index.hash,
                                   status=AnchorStatus.PENDING)


def _parses(stream_id: str) -> bool:
    """Whether a block's entry names a stream at all: an outside miner may have put anything there."""
    try:
        StreamID.parse(stream_id)
    except (InvalidStreamID, ValueError):
        return False
    return True
