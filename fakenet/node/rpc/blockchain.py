"""Blockchain and mining RPCs, with bitcoin-core's names and field names."""

from __future__ import annotations


from bitcoin.core import CBlock, b2lx, b2x

from fakenet.node import clock
from fakenet.node.chain import BlockIndex
from fakenet.node.rpc import mining, params, scripts
from fakenet.node.rpc.addresses import InvalidAddress, script_for
from fakenet.node.rpc.dispatch import Registry
from fakenet.node.rpc.errors import INVALID_ADDRESS_OR_KEY, INVALID_PARAMETER, MISC_ERROR, RpcFailure

# The one soft fork this chain enforces, from its first block: coinbases start with the height.
SOFTFORKS = {"bip34": {"type": "buried", "active": True, "height": 1}}
CHAIN_NAME = "regtest"  # address format and difficulty are regtest's, so client libraries pick the right params


def address_script(address: str) -> bytes:
    try:
        return script_for(address)
    except InvalidAddress as exc:
        raise RpcFailure(INVALID_ADDRESS_OR_KEY, "Error: Invalid address") from exc


def _tx_json(tx, verbose: bool):
    txid = b2lx(tx.GetTxid())
    if not verbose:
        return txid
    size = len(tx.serialize())  # no witness data on this chain: weight is 4 × size, vsize is size
    return {
        "txid": txid, "hash": b2lx(tx.GetHash()), "version": tx.nVersion, "size": size, "vsize": size,
        "weight": 4 * size, "locktime": tx.nLockTime, "hex": b2x(tx.serialize()),
        "vin": [{"coinbase": b2x(txin.scriptSig), "sequence": txin.nSequence} if txin.prevout.is_null() else
                {"txid": b2lx(txin.prevout.hash), "vout": txin.prevout.n, "sequence": txin.nSequence}
                for txin in tx.vin],
        "vout": [{"value": out.nValue / 1e8, "n": n, "scriptPubKey": scripts.describe(out.scriptPubKey)}
                 for n, out in enumerate(tx.vout)],
    }


def register(registry: Registry, node) -> None:
    chain = node.chain
    mining.register(registry, node, address_script)

    def index_or_fail(blockhash, name: str, find=chain.get_index) -> BlockIndex:
        index = find(params.block_hash(blockhash, name))
        if index is None:
            raise RpcFailure(INVALID_ADDRESS_OR_KEY, "Block not found")
        return index

    def on_main_chain(index: BlockIndex) -> bool:
        return chain.hash_at(index.height) == index.hash

    def header_json(index: BlockIndex) -> dict:
        main = on_main_chain(index)
        result = {
            "hash": index.hash, "confirmations": chain.height() - index.height + 1 if main else -1,
            "height": index.height, "version": index.version, "versionHex": f"{index.version:08x}",
            "merkleroot": index.merkle_root, "time": index.time, "mediantime": chain.median_time_past(index.hash), "nonce": index.nonce,
            "bits": f"{index.bits:08x}", "difficulty": chain.difficulty(), "chainwork": f"{index.chainwork:064x}",
            "nTx": index.n_tx,
        }
        if index.height > 0:
            result["previousblockhash"] = index.prev_hash
        following = chain.hash_at(index.height + 1) if main else None
        if following:
            result["nextblockhash"] = following
        return result

    @registry.method
    async def getblockcount():
        """Returns the height of the most-work fully-validated chain."""
        return chain.height()

    @registry.method
    async def getbestblockhash():
        """Returns the hash of the best (tip) block in the most-work chain."""
        return chain.tip().hash

    @registry.method
    async def getblockhash(height):
        """Returns hash of block in best-block-chain at height provided."""
        block_hash = chain.hash_at(params.expect(height, int))
        if block_hash is None:
            raise RpcFailure(INVALID_PARAMETER, "Block height out of range")
        return block_hash

    @registry.method
    async def getblockheader(blockhash, verbose=True):
        """If verbose is false, returns a hex-encoded header; otherwise a JSON object."""
        index = index_or_fail(blockhash, "hash", chain.lookup)  # headers-only entries too, as core
        if not params.expect(verbose, bool):
            return index.header().hex()
        return header_json(index)

    @registry.method
    async def getblock(blockhash, verbosity=1):
        """verbosity 0: hex-encoded block; 1: JSON with txids; 2: JSON with decoded transactions."""
        # as core: a number is the level, anything else must be a boolean (older clients' verbose flag)
        level = verbosity if isinstance(verbosity, int) else int(params.expect(verbosity, bool))
        index = index_or_fail(blockhash, "blockhash", chain.lookup)
        raw = chain.get_raw_block(index.hash) or chain.get_waiting_block(index.hash)
        if raw is None:  # headers-only (submitheader): core's words for it
            raise RpcFailure(MISC_ERROR, "Block not found on disk")
        if level == 0:
            return raw.hex()
        block = CBlock.deserialize(raw)
        result = header_json(index)
        result.update({"nTx": len(block.vtx), "size": len(raw), "strippedsize": len(raw), "weight": 4 * len(raw),
                       "tx": [_tx_json(tx, level >= 2) for tx in block.vtx]})
        return result

    @registry.method
    async def getblockchaininfo():
        """Returns an object containing various state info regarding blockchain processing."""
        tip = chain.tip()
        return {
            "chain": CHAIN_NAME, "blocks": tip.height, "headers": chain.best_header().height, "bestblockhash": tip.hash,
            "difficulty": chain.difficulty(), "mediantime": chain.median_time_past(),
            "verificationprogress": 1, "initialblockdownload": False, "chainwork": f"{tip.chainwork:064x}",
            "size_on_disk": node.chain.size_on_disk(), "pruned": False, "softforks": SOFTFORKS, "warnings": "",
            "network": node.network,
        }

    @registry.method
    async def getdifficulty():
        """Returns the proof-of-work difficulty as a multiple of the minimum difficulty."""
        return chain.difficulty()

    @registry.method
    async def getchaintips():
        """Return information about all known tips in the block tree, including the main chain as
        well as orphaned branches (status active, valid-fork, valid-headers or invalid)."""
        return chain.chain_tips()

    @registry.method
    async def invalidateblock(blockhash):
        """Permanently marks a block as invalid, as if it violated a consensus rule."""
        index = index_or_fail(blockhash, "blockhash")
        try:
            chain.invalidate(index.hash)
        except ValueError as exc:  # genesis
            raise RpcFailure(MISC_ERROR, str(exc)) from exc

    @registry.method
    async def reconsiderblock(blockhash):
        """Removes invalidity status of a block, its ancestors and its descendants, reconsider them for activation."""
        chain.reconsider(index_or_fail(blockhash, "blockhash").hash)

    @registry.method
    async def uptime():
        """Returns the total uptime of the server in seconds."""
        return int(clock.wall() - node.started_at)
