"""A getblocktemplate miner written from bitcoin-core's documentation, not from fakenet's code.

getblocktemplate (BIP22/23) → coinbase whose scriptSig opens with the height (BIP34) → merkle
root → grind the nonce → submitblock, then long-poll with the template's `longpollid` until the
tip moves. It only needs a `call(method, *params)` RPC function, so the same miner runs against a
fakenet node and a Litecoin Core node; `pow` picks the proof-of-work hash (sha256d for bitcoin
and fakenet, scrypt(N=1024, r=1, p=1) for Litecoin). Blocks carry no witness data, so no
witness commitment is needed even where segwit is active.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from bitcoin.core import CBlock, CBlockHeader, COutPoint, CScript, CTransaction, CTxIn, CTxOut, b2lx, lx, x

Rpc = Callable[..., Any]
# Litecoin Core also asks for "mweb"; bitcoin-core ignores rules it does not know.
RULES = ["segwit", "mweb"]


def sha256d(header: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(header).digest()).digest()


def scrypt(header: bytes) -> bytes:
    """Litecoin's proof-of-work hash (the block id stays sha256d)."""
    return hashlib.scrypt(header, salt=header, n=1024, r=1, p=1, dklen=32)


POW = {"sha256d": sha256d, "scrypt": scrypt}


def target_of(bits: int) -> int:
    exponent, mantissa = bits >> 24, bits & 0x007FFFFF
    return mantissa >> 8 * (3 - exponent) if exponent <= 3 else mantissa << 8 * (exponent - 3)


def coinbase(height: int, value: int, script_pubkey: bytes, extranonce: bytes) -> CTransaction:
    """BIP34: the scriptSig starts with the height as a minimal push; the extranonce follows."""
    return CTransaction([CTxIn(COutPoint(), CScript([height, extranonce]), 0xFFFFFFFF)],
                        [CTxOut(value, CScript(script_pubkey))])


def assemble(template: dict, script_pubkey: bytes, extranonce: bytes, *, time: int | None = None) -> CBlock:
    """The unsolved block for `template`: coinbase first, then the template's transactions."""
    txs = [coinbase(template["height"], template["coinbasevalue"], script_pubkey, extranonce)]
    txs += [CTransaction.deserialize(x(tx["data"])) for tx in template["transactions"]]
    header_time = max(template["curtime"], template["mintime"]) if time is None else time
    block = CBlock(nVersion=template["version"], hashPrevBlock=lx(template["previousblockhash"]),
                   nTime=header_time, nBits=int(template["bits"], 16), vtx=txs)
    return CBlock(block.nVersion, block.hashPrevBlock, block.calc_merkle_root(), block.nTime, block.nBits, 0, txs)


def solve(block: CBlock, pow_hash: Callable[[bytes], bytes] = sha256d) -> CBlock:
    """Grind the nonce until the proof-of-work hash, read little-endian, meets the target."""
    target = target_of(block.nBits)
    prefix = block.get_header().serialize()[:76]
    for nonce in range(2**32):
        if int.from_bytes(pow_hash(prefix + nonce.to_bytes(4, "little")), "little") <= target:
            return CBlock(block.nVersion, block.hashPrevBlock, block.hashMerkleRoot, block.nTime, block.nBits,
                          nonce, block.vtx)
    raise RuntimeError("nonce space exhausted: change the extranonce and try again")


def block_id(block: CBlock | CBlockHeader) -> str:
    return b2lx(block.GetHash())


@dataclass
class Submission:
    height: int
    block_hash: str
    prev_hash: str
    result: str | None  # submitblock's answer: None = accepted as the new tip


@dataclass
class Miner:
    rpc: Rpc
    script_pubkey: bytes = bytes(CScript([b"\x51"]))  # OP_TRUE: anyone can spend, fine for a test chain
    pow: str = "sha256d"
    submissions: list[Submission] = field(default_factory=list)

    def template(self, longpollid: str | None = None) -> dict:
        request = {"rules": RULES, **({"longpollid": longpollid} if longpollid else {})}
        return self.rpc("getblocktemplate", request)

    def build(self, template: dict, **kwargs) -> CBlock:
        return solve(assemble(template, self.script_pubkey, os.urandom(8), **kwargs), POW[self.pow])

    def submit(self, block: CBlock, height: int) -> Submission:
        result = self.rpc("submitblock", block.serialize().hex())
        record = Submission(height, block_id(block), b2lx(block.hashPrevBlock), result)
        self.submissions.append(record)
        return record

    def mine_one(self, template: dict | None = None) -> Submission:
        template = template or self.template()
        return self.submit(self.build(template), template["height"])

    def run(self, blocks: int, stop: threading.Event | None = None) -> list[Submission]:
        """Mine `blocks` blocks the way a pool's long-polling miner does: after each submission,
        hold a long poll with the template's `longpollid` until the tip moves."""
        stop = stop or threading.Event()
        template, mined = self.template(), []
        while len(mined) < blocks and not stop.is_set():
            mined.append(self.mine_one(template))
            template = self.template(longpollid=template["longpollid"])
        return mined
