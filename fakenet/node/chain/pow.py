"""Proof of work: compact difficulty bits, targets, cumulative work and nonce grinding.

The chain runs at bitcoin's regtest difficulty, so grinding a header takes a couple of hashes;
the rules are still the real ones, so an external miner's solution is checked the same way.
"""

import hashlib
import struct

from bitcoin.core import CBlockHeader

REGTEST_BITS = 0x207FFFFF
# Bitcoin's difficulty 1 target: `getdifficulty` reports targets relative to it.
DIFF1_BITS = 0x1D00FFFF
MAX_NONCE = 0xFFFFFFFF


def bits_to_target(bits: int) -> int:
    """Decode bitcoin's compact encoding; a set sign bit means a negative, i.e. unusable, target."""
    exponent, mantissa = bits >> 24, bits & 0x007FFFFF
    if bits & 0x00800000:
        return 0
    return mantissa >> 8 * (3 - exponent) if exponent <= 3 else mantissa << 8 * (exponent - 3)


def block_work(bits: int) -> int:
    """Expected hashes to find a block at these bits: what most-work fork choice adds up."""
    return 2**256 // (bits_to_target(bits) + 1)


def hash_value(header_hash: bytes) -> int:
    """A sha256d header hash as the number compared with the target (it is little-endian)."""
    return int.from_bytes(header_hash, "little")


def meets_target(header: CBlockHeader) -> bool:
    """Whether the header's hash meets its own bits, which may not be easier than regtest's."""
    target = bits_to_target(header.nBits)
    return 0 < target <= bits_to_target(REGTEST_BITS) and hash_value(header.GetHash()) <= target


def grind_nonce(header: CBlockHeader, start: int = 0) -> int:
    """The first nonce from `start` that solves the header.

    Hashes the serialized header directly instead of building a CBlockHeader per try.
    """
    prefix = header.serialize()[:76]
    target = bits_to_target(header.nBits)
    for nonce in range(start, MAX_NONCE + 1):
        digest = hashlib.sha256(hashlib.sha256(prefix + struct.pack("<I", nonce)).digest()).digest()
        if hash_value(digest) <= target:
            return nonce
    raise ValueError("nonce space exhausted; change the time or the coinbase and try again")


def difficulty(bits: int) -> float:
    return bits_to_target(DIFF1_BITS) / bits_to_target(bits)
