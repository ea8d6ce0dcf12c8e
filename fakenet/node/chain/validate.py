"""Block validity, judged as bitcoin-core does and rejected with its `submitblock` reason strings.

Three stages in bitcoin-core's order, because an orphan can be sanity-checked before its
parent arrives but not placed: `check_block` needs only the bytes (CheckBlock),
`check_header_contextual` the parent's chain and the clock (ContextualCheckBlockHeader: a
failure there leaves no trace), `check_block_contextual` the height (ContextualCheckBlock and
ConnectBlock: bitcoin-core remembers such a block as invalid, and so does the chain). There is no UTXO set (the chain carries
anchors, not payments), so spends are checked for shape only and fees count as zero.
"""

import functools

from bitcoin.core import CBlock, CTransaction, MAX_BLOCK_WEIGHT, MoneyRange

from ..errors import NodeError
from . import block as blocks
from . import pow

MAX_FUTURE_SECONDS = 2 * 60 * 60
# Litecoin Core's regtest has segwit from genesis, so it rejects every block version below the
# BIP9 top bits (a rule of its own: it also retires BIP34/65/66's versions 1-4).
MIN_VERSION = 0x20000000
WITNESS_SCALE = 4
# Blocks parsed and checked, by their exact bytes: a block is decoded and checked the same way
# wherever it comes from, and a node met the same block again and again (its check on arrival,
# then anchoring re-reading it from the store), as does every node of a simulation, where one
# process holds them all (1,000 nodes parsed each block ~2,000 times in pure Python). A CBlock is
# immutable (python-bitcoinlib's ImmutableSerializable), so one can be shared. Only successes
# are kept: junk is refused again, at the cost of the length check first.
PARSED = 256


class BlockRejected(NodeError):
    """A block that breaks a rule; `reason` is the bitcoin-core reject reason."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def decode(raw: bytes) -> CBlock:
    # 1 MB stripped blocks, as bitcoin; checked before parsing so junk costs nothing.
    if len(raw) * WITNESS_SCALE > MAX_BLOCK_WEIGHT:
        raise BlockRejected("bad-blk-length", f"{len(raw)} bytes")
    try:
        return parse(raw)
    # Peer-supplied bytes can trip any parser error; all of them mean the same thing here.
    except Exception as exc:
        raise BlockRejected("bad-blk-length", f"undecodable block: {exc}") from exc


def parse(raw: bytes) -> CBlock:
    """`raw` decoded, through the cache of blocks parsed (PARSED); raises what the parser raises."""
    return _parsed(bytes(raw))


@functools.lru_cache(maxsize=PARSED)
def _parsed(raw: bytes) -> CBlock:
    return CBlock.deserialize(raw)


def check_block(raw: bytes, *, check_pow: bool = True) -> CBlock:
    """Everything knowable without the parent; returns the decoded block.

    Block proposals (BIP23) skip the proof of work, as bitcoin-core's TestBlockValidity does.
    """
    return _checked(bytes(raw), check_pow)


@functools.lru_cache(maxsize=PARSED)  # a pure function of the bytes: see PARSED
def _checked(raw: bytes, check_pow: bool) -> CBlock:
    block = decode(raw)
    if check_pow and not pow.meets_target(block.get_header()):
        raise BlockRejected("high-hash")
    check_transactions(block)
    return block


def check_transactions(block: CBlock) -> None:
    if not block.vtx:
        raise BlockRejected("bad-blk-length", "no transactions")
    if block.calc_merkle_root() != block.hashMerkleRoot:
        raise BlockRejected("bad-txnmrklroot")
    # Duplicate txids are how a block is mutated without changing its merkle root (CVE-2012-2459).
    if len({tx.GetTxid() for tx in block.vtx}) != len(block.vtx):
        raise BlockRejected("bad-txns-duplicate")
    if not block.vtx[0].is_coinbase():
        raise BlockRejected("bad-cb-missing")
    if any(tx.is_coinbase() for tx in block.vtx[1:]):
        raise BlockRejected("bad-cb-multiple")
    # No witness commitments are made or checked, so witness data could be swapped freely.
    if any(tx.has_witness() for tx in block.vtx):
        raise BlockRejected("unexpected-witness")
    for tx in block.vtx:
        check_tx(tx)


def check_tx(tx: CTransaction) -> None:
    if not tx.vin:
        raise BlockRejected("bad-txns-vin-empty")
    if not tx.vout:
        raise BlockRejected("bad-txns-vout-empty")
    if any(out.nValue < 0 for out in tx.vout):
        raise BlockRejected("bad-txns-vout-negative")
    if any(not MoneyRange(out.nValue) for out in tx.vout):
        raise BlockRejected("bad-txns-vout-toolarge")
    if not MoneyRange(sum(out.nValue for out in tx.vout)):
        raise BlockRejected("bad-txns-txouttotal-toolarge")
    if len({txin.prevout for txin in tx.vin}) != len(tx.vin):
        raise BlockRejected("bad-txns-inputs-duplicate")
    if tx.is_coinbase() and not 2 <= len(tx.vin[0].scriptSig) <= blocks.MAX_COINBASE_SCRIPT:
        raise BlockRejected("bad-cb-length")
    if not tx.is_coinbase() and any(txin.prevout.is_null() for txin in tx.vin):
        raise BlockRejected("bad-txns-prevout-null")


def check_header_contextual(block: CBlock, bits: int, median_time_past: int, now: float) -> None:
    """The header rules that need the parent's chain and the clock."""
    if block.nBits != bits:
        raise BlockRejected("bad-diffbits", f"bits {block.nBits:08x}, chain uses {bits:08x}")
    if block.nTime <= median_time_past:
        raise BlockRejected("time-too-old")
    if block.nTime > now + MAX_FUTURE_SECONDS:
        raise BlockRejected("time-too-new")
    if block.nVersion < MIN_VERSION:  # signed, as in core: a version with the top bit set is negative
        raise BlockRejected(f"bad-version(0x{block.nVersion & 0xFFFFFFFF:08x})")


def check_block_contextual(block: CBlock, height: int) -> None:
    """The block rules that need its height."""
    coinbase = block.vtx[0]
    if not coinbase.vin[0].scriptSig.startswith(blocks.height_script(height)):
        raise BlockRejected("bad-cb-height")
    if sum(out.nValue for out in coinbase.vout) > blocks.subsidy(height):
        raise BlockRejected("bad-cb-amount")
