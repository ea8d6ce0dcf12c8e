"""Building blocks: subsidy, coinbase transactions, the per-network genesis block, solving.

Everything is bitcoin's serialization through python-bitcoinlib, so bitcoin tooling (and an
external miner that speaks getblocktemplate) can read and build these blocks.
"""

import functools

from bitcoin.core import (
    COIN,
    CBlock,
    CBlockHeader,
    COutPoint,
    CScript,
    CTransaction,
    CTxIn,
    CTxOut,
    b2lx,
)

from . import pow

HALVING_INTERVAL = 150  # regtest's
BLOCK_VERSION = 0x20000000  # BIP9 top bits, what bitcoin-core miners put in
GENESIS_TIME = 1_700_000_000
# Genesis pays to an unspendable script: nobody owns the first 50 coins of any network.
GENESIS_SCRIPT = CScript(b"\x6a")  # OP_RETURN
MAX_COINBASE_SCRIPT = 100


def subsidy(height: int) -> int:
    halvings = height // HALVING_INTERVAL
    return 0 if halvings >= 64 else (50 * COIN) >> halvings


def block_hash(header: CBlockHeader) -> str:
    """Display hex: byte-reversed, as bitcoin RPC and explorers show it."""
    return b2lx(header.GetHash())


def height_script(height: int) -> bytes:
    """BIP34's push of the height, which must open every coinbase scriptSig."""
    return bytes(CScript([height]))


def coinbase_tx(
    height: int, script_pubkey: bytes, value: int, extranonce: bytes = b"", extra: bytes = b""
) -> CTransaction:
    """A coinbase for `height`: scriptSig = <height> <extranonce> [<extra>].

    The extranonce keeps rival miners' blocks at one height distinct; `extra` is the caller's
    tag, in a push of its own so it can be read back. An empty extranonce pushes OP_0, as
    bitcoin-core does, which gives the scriptSig its minimum 2 bytes.
    """
    script_sig = CScript([height, extranonce, *([extra] if extra else [])])
    if not 2 <= len(script_sig) <= MAX_COINBASE_SCRIPT:
        raise ValueError(f"coinbase scriptSig must be 2-{MAX_COINBASE_SCRIPT} bytes, got {len(script_sig)}")
    return CTransaction([CTxIn(COutPoint(), script_sig)], [CTxOut(value, CScript(script_pubkey))])


def solve(prev_hash: bytes, time: int, bits: int, txs, version: int = BLOCK_VERSION) -> CBlock:
    """Assemble a block over `txs` (coinbase first) and grind its nonce."""
    unsolved = CBlock(nVersion=version, hashPrevBlock=prev_hash, nTime=time, nBits=bits, vtx=txs)
    nonce = pow.grind_nonce(unsolved.get_header())
    return CBlock(version, prev_hash, unsolved.hashMerkleRoot, time, bits, nonce, txs)


@functools.cache
def genesis_block(network: str) -> CBlock:
    """The fixed first block of `network`: same name, same block, on every node and every run."""
    script_sig = CScript([f"fakenet genesis: {network}".encode()])
    coinbase = CTransaction([CTxIn(COutPoint(), script_sig)], [CTxOut(subsidy(0), GENESIS_SCRIPT)])
    return solve(b"\x00" * 32, GENESIS_TIME, pow.REGTEST_BITS, [coinbase], version=1)
