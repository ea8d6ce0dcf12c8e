"""Anchoring stream tips in the chain, the way Ceramic anchors them in a blockchain.

Anchor requests (stream, tip) are gossiped to every node, so whichever node mines next (or an
external miner through getblocktemplate) puts the batch in its block: one transaction whose
OP_RETURN outputs carry the Merkle root of the batch and its leaves. Every node that connects
such a block appends the same deterministic anchor commit to each stream it holds at that tip
(PENDING → ANCHORED). A block reorged out takes its anchors with it: those streams go back to
PENDING and are requested again, so the winning chain anchors them anew.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from bitcoin.core import CMutableTransaction, CMutableTxIn, CMutableTxOut, COutPoint, CTransaction, b2lx
from bitcoin.core.script import OP_RETURN, CScript

from fakenet.node import logs
from fakenet.node.streams import AnchorStatus, StreamID, apply_anchor, make_anchor, without_anchor

if TYPE_CHECKING:
    from fakenet.node.chain import BlockIndex, Chain
    from fakenet.node.stream_service import StreamService

MAGIC = b"FNANCHOR1"
MAX_BATCH = 1000
MAX_PENDING = 20000


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
        batch = [(str(s), str(t)) for s, t in json.loads(bytes(body[1]))]
    except (ValueError, TypeError, IndexError):
        return None
    root, _ = merkle_root_and_paths([_leaf(s, t) for s, t in batch]) if batch else (b"", [])
    return batch if batch and bytes(head[1])[len(MAGIC):] == root else None


class AnchorService:
    def __init__(self, chain: Chain, streams: StreamService, network_name: str):
        self.chain, self.streams, self.network_name = chain, streams, network_name
        self.pending: dict[str, str] = {}  # stream id -> tip waiting for a block
        self._log = logs.get()
        self._proven_block, self._proven = None, {}
        chain.transaction_source = self.transactions
        chain.on_tip_changed.append(self.on_tip_changed)

    def request(self, stream_id: str, tip: str) -> bool:
        """Queue a tip for the next block; False if it was already queued."""
        if self.pending.get(stream_id) == tip or len(self.pending) >= MAX_PENDING:
            return False
        self.pending[stream_id] = tip
        return True

    def transactions(self) -> list[CTransaction]:
        batch = sorted(self.pending.items())[:MAX_BATCH]
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
        return self._proven.get((stream_id.encode(), str(tip))) == proof

    def _anchor_block(self, index: BlockIndex) -> None:
        for (stream_id, tip), proof in self.proofs(index).items():
            if self.pending.get(stream_id) == tip:
                del self.pending[stream_id]
            self._apply(stream_id, tip, proof)

    def _apply(self, stream_id: str, tip: str, proof: dict) -> None:
        held = self.streams.held(StreamID.parse(stream_id))
        if held is None or str(held.state.tip) != tip:
            return  # not ours, or the stream moved on: its newer tip has its own request
        cid, data = make_anchor(held.state, proof)
        state = apply_anchor(held.state, cid, data)
        self.streams.store(state, {cid: data})
        self._log.info("stream_anchored", stream=stream_id, block=proof["blockHash"], height=proof["blockHeight"])

    def _unanchor(self, index: BlockIndex) -> None:
        for _tx, batch in self._batches(index):
            for stream_id, _tip in batch:
                held = self.streams.held(StreamID.parse(stream_id))
                if held is None:
                    continue
                state = without_anchor(held.state, index.hash)
                if state is not held.state:
                    self.streams.store(state, {})
                    self.pending[stream_id] = str(state.tip)
                    self.streams.network.swarm.spawn(
                        self.streams.network.publish_anchor_request(stream_id, str(state.tip)))
                    self._log.info("stream_anchor_reorged", stream=stream_id, block=index.hash,
                                   status=AnchorStatus.PENDING)
