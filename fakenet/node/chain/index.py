"""The value types the chain hands out: one block's place in the index, one submission's outcome."""

from typing import NamedTuple

from bitcoin.core import CBlockHeader, b2lx, lx

# A stored block's status flags, bitcoin-core's nStatus reduced to what this chain can know.
VALIDATED = 1  # was connected to the main chain once (BLOCK_VALID_SCRIPTS): a fork of it is "valid-fork"
FAILED = 2  # broke a rule, or invalidateblock named it (BLOCK_FAILED_VALID)
FAILED_CHILD = 4  # descends from a FAILED block (BLOCK_FAILED_CHILD)
FAILED_MASK = FAILED | FAILED_CHILD
HEADERS_ONLY = 8  # a header submitted without its block (submitheader): never stored, never the tip


class BlockIndex(NamedTuple):
    """A stored block's header fields and its place in the tree; hashes are display hex."""

    hash: str
    prev_hash: str
    height: int
    time: int
    bits: int
    nonce: int
    version: int
    merkle_root: str
    chainwork: int  # total work from genesis to this block inclusive: what fork choice compares
    n_tx: int
    size: int

    @classmethod
    def of(cls, header: CBlockHeader, *, height: int, chainwork: int, n_tx: int, size: int) -> "BlockIndex":
        return cls(
            hash=b2lx(header.GetHash()),
            prev_hash=b2lx(header.hashPrevBlock),
            height=height,
            time=header.nTime,
            bits=header.nBits,
            nonce=header.nNonce,
            version=header.nVersion,
            merkle_root=b2lx(header.hashMerkleRoot),
            chainwork=chainwork,
            n_tx=n_tx,
            size=size,
        )

    def header(self) -> bytes:
        """The 80 header bytes, rebuilt from the fields (a headers-only entry has no stored block)."""
        return CBlockHeader(self.version, lx(self.prev_hash), lx(self.merkle_root), self.time, self.bits,
                            self.nonce).serialize()


class AddResult(NamedTuple):
    """What `Chain.add_block` made of a block.

    status is "accepted" | "duplicate" | "orphan" | "invalid"; reason is what bitcoin-core's
    `submitblock` would answer (None for a block that became the tip, "inconclusive" for one
    stored on a side chain, "duplicate" / "duplicate-invalid" for one already known, else the
    reject reason). `orphans_connected` lists earlier orphans this block let in, in
    the order they were connected, so the caller can relay them too.
    """

    status: str
    reason: str | None
    block_hash: str | None
    became_tip: bool = False
    orphans_connected: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == "accepted"
