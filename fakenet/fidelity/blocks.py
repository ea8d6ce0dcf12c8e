"""Blocks crafted from a getblocktemplate answer, valid or broken in exactly one rule.

Independent of the node's code (bitcoin-core's documented rules only), and for either proof of
work: sha256d (fakenet) or scrypt (Litecoin). Each broken block is solved, unless the rule it
breaks is the proof of work itself, so the node reports that rule and not high-hash.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from bitcoin.core import CBlock, CBlockHeader, COutPoint, CScript, CTransaction, CTxIn, CTxOut, b2lx, lx

__all__ = ["Crafted", "Recipe", "build", "coinbase", "spend"]

PAY = bytes(CScript([b"\x51"]))


def pow_hash(kind: str, header: bytes) -> int:
    if kind == "scrypt":
        digest = hashlib.scrypt(header, salt=header, n=1024, r=1, p=1, dklen=32)
    else:
        digest = hashlib.sha256(hashlib.sha256(header).digest()).digest()
    return int.from_bytes(digest, "little")


def target_of(bits: int) -> int:
    exponent, mantissa = bits >> 24, bits & 0x007FFFFF
    return mantissa >> 8 * (3 - exponent) if exponent <= 3 else mantissa << 8 * (exponent - 3)


@dataclass(frozen=True)
class Recipe:
    """What to put in a block; every field defaults to the template's honest value."""

    prev: str
    height: int
    value: int
    time: int
    bits: int
    version: int
    tag: bytes = b"fidelity"
    coinbase_height: int | None = None  # BIP34 height written in the coinbase
    extra_txs: tuple = ()
    solved: bool = True  # False: a nonce that misses the target
    merkle: bytes | None = None  # a wrong merkle root
    with_coinbase: bool = True

    @classmethod
    def of(cls, template: dict, **changes) -> "Recipe":
        honest = cls(prev=template["previousblockhash"], height=template["height"],
                     value=template["coinbasevalue"], time=max(template["curtime"], template["mintime"]),
                     bits=int(template["bits"], 16), version=template["version"])
        return replace(honest, **changes)


def coinbase(height: int, value: int, tag: bytes) -> CTransaction:
    return CTransaction([CTxIn(COutPoint(), CScript([height, tag]), 0xFFFFFFFF)], [CTxOut(value, CScript(PAY))])


@dataclass(frozen=True)
class Crafted:
    """A block as bytes: python-bitcoinlib refuses to build one whose merkle root is wrong."""

    raw: bytes

    @property
    def hash(self) -> str:
        return b2lx(hashlib.sha256(hashlib.sha256(self.raw[:80]).digest()).digest())

    def hex(self) -> str:
        return self.raw.hex()


def build(recipe: Recipe, pow_kind: str) -> Crafted:
    height = recipe.height if recipe.coinbase_height is None else recipe.coinbase_height
    txs = [coinbase(height, recipe.value, recipe.tag), *recipe.extra_txs] if recipe.with_coinbase else [*recipe.extra_txs]
    draft = CBlock(nVersion=recipe.version, hashPrevBlock=lx(recipe.prev), nTime=recipe.time, nBits=recipe.bits, vtx=txs)
    merkle = recipe.merkle or draft.calc_merkle_root()
    header = CBlockHeader(recipe.version, lx(recipe.prev), merkle, recipe.time, recipe.bits, 0).serialize()[:76]
    target = target_of(recipe.bits)
    nonce = 0
    while (pow_hash(pow_kind, header + nonce.to_bytes(4, "little")) <= target) != recipe.solved:
        nonce += 1
    body = _compact_size(len(txs))
    return Crafted(header + nonce.to_bytes(4, "little") + body + b"".join(tx.serialize() for tx in txs))


def _compact_size(n: int) -> bytes:
    return bytes([n]) if n < 0xFD else b"\xfd" + n.to_bytes(2, "little")


def spend(n: int = 0) -> CTransaction:
    """A transaction spending an output that does not exist (shape-valid, never connectable)."""
    return CTransaction([CTxIn(COutPoint(b"\x01" * 32, n), CScript([b"x"]))], [CTxOut(1, CScript(PAY))])
