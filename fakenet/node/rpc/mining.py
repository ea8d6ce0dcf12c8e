"""Mining RPCs as bitcoin-core 0.21 answers them: getblocktemplate (BIP22 templates and long
polling, BIP23 proposals), submitblock, submitheader, generatetoaddress, getmininginfo.

Deliberate differences, listed in FIDELITY.md: templates carry no segwit rules (the chain has
no witness commitments), and templates are served without peers, as bitcoin-core does on its
test chains. `generatetoaddress` yields to other requests after every block and stops when its
client goes away (bitcoin-core holds its RPC thread to the end); its counts are range-checked as
core's (32-bit, else -1 "JSON integer out of range"), so 2^64 is refused, not looped over.
"""

from __future__ import annotations

import asyncio
import re

from bitcoin.core import CBlock, b2lx

from fakenet.node.rpc import caller
from fakenet.node.rpc.dispatch import Registry
from fakenet.node.rpc.errors import INVALID_PARAMETER, MISC_ERROR, RpcFailure
from fakenet.node.rpc.longpoll import TipWatch
from fakenet.node.rpc.params import expect, int32

DESERIALIZATION_ERROR = -22
VERIFY_ERROR = -25
HEADER_SIZE = 80
HEX = re.compile(r"(?:[0-9a-fA-F]{2})+")  # bitcoin-core's IsHex: whole bytes, no spaces, not empty
TYPE_ERROR = -3
COINBASE_RESERVED_WEIGHT = 4000
SEGWIT_REQUIRED = 'getblocktemplate must be called with the segwit rule set (call with {"rules": ["segwit"]})'


def decode_block(hexdata) -> CBlock:
    text = expect(hexdata, str)
    try:
        return CBlock.deserialize(bytes.fromhex(text))
    # Client-supplied bytes can trip any of python-bitcoinlib's parser errors; all mean the same.
    except Exception as exc:
        raise RpcFailure(DESERIALIZATION_ERROR, "Block decode failed") from exc


def decode_header(hexdata) -> bytes:
    """The 80 header bytes of `hexdata`; a longer input (a whole block) is cut, as core's
    DecodeHexBlockHeader reads only the header."""
    text = expect(hexdata, str)
    if not HEX.fullmatch(text) or len(text) < 2 * HEADER_SIZE:
        raise RpcFailure(DESERIALIZATION_ERROR, "Block header decode failed")
    return bytes.fromhex(text[:2 * HEADER_SIZE])


def register(registry: Registry, node, address_script) -> None:
    chain = node.chain
    watch = TipWatch(asyncio.get_running_loop())
    chain.on_tip_changed.append(watch.notify)
    last_template = {}  # getmininginfo reports the last template's size, as core does

    def transactions():
        return [tx.GetTxid() for tx in chain.transaction_source()]

    async def long_poll(longpollid) -> None:
        watched = expect(longpollid, str)[:64]
        await watch.hold(lambda: chain.tip().hash == watched, transactions)

    async def proposal(request: dict):
        data = request.get("data")
        if not isinstance(data, str):
            raise RpcFailure(TYPE_ERROR, "Missing data String key for proposal")
        decode_block(data)
        return chain.check_proposal(bytes.fromhex(data))

    @registry.method
    async def getblocktemplate(template_request=None):
        """Returns data needed to construct a block to work on (BIP 22/23); with "longpollid",
        waits until the tip changes; with "mode": "proposal", checks a block without storing it."""
        request = {} if template_request is None else expect(template_request, dict)
        mode = request.get("mode", "template")
        if mode == "proposal":
            return await proposal(request)
        if mode != "template":
            raise RpcFailure(INVALID_PARAMETER, "Invalid mode")
        if request.get("longpollid") is not None:
            await caller.unless_gone(long_poll(request["longpollid"]))
            if caller.gone():
                return None  # nobody to answer: no template built for no one
        rules = request.get("rules")
        if not (isinstance(rules, list) and "segwit" in rules):
            raise RpcFailure(INVALID_PARAMETER, SEGWIT_REQUIRED)
        template = chain.block_template()
        remember(template["transactions"])
        return template

    def remember(entries: list[dict]) -> None:
        # bitcoin-core's figure: the weight reserved for header and coinbase plus the transactions
        last_template.update(weight=COINBASE_RESERVED_WEIGHT + sum(tx["weight"] for tx in entries), tx=len(entries))

    @registry.method
    async def submitblock(hexdata, dummy=None):
        """Attempts to submit a new block to the network (BIP 22): null when it became the tip,
        else "duplicate", "duplicate-invalid", "inconclusive" (valid, not the tip) or the reject reason."""
        block = decode_block(hexdata)
        if not block.vtx or not block.vtx[0].is_coinbase():
            raise RpcFailure(DESERIALIZATION_ERROR, "Block does not start with a coinbase")
        result = await node.sync.submit(bytes.fromhex(hexdata))
        return result.reason

    @registry.method
    async def submitheader(hexdata):
        """Decode the given hexdata as a header and submit it as a candidate chain tip if valid
        (headers-only until its block arrives). Throws when the header is invalid."""
        raw = decode_header(hexdata)
        parent = b2lx(raw[4:36])
        if not chain.knows(parent):
            raise RpcFailure(VERIFY_ERROR, f"Must submit previous header ({parent}) first")
        result = chain.add_header(raw)
        if result.reason is not None:
            raise RpcFailure(VERIFY_ERROR, result.reason)
        return None

    @registry.method
    async def generatetoaddress(nblocks, address, maxtries=1000000):
        """Mine nblocks blocks immediately to an address; returns the block hashes."""
        count, tries = int32(nblocks), int32(maxtries)
        script = address_script(address)
        hashes = []
        for _ in range(count if tries else 0):  # core: no tries, no blocks
            if caller.gone():
                break  # nobody is waiting for the answer: stop mining
            hashes.append(await mine_one(script))
            await asyncio.sleep(0)  # other requests, and the swarm, run between blocks
        if hashes:
            remember(chain.block_template()["transactions"])
        return hashes

    async def mine_one(script: bytes) -> str:
        result = await node.sync.submit(chain.mine(script))
        if result.status != "accepted":
            raise RpcFailure(MISC_ERROR, f"mined block was not accepted: {result.reason}")
        return result.block_hash

    @registry.method
    async def getmininginfo():
        """Returns a JSON object containing mining-related information."""
        tip = chain.tip()
        info = {"blocks": tip.height}
        if last_template:  # as core: only once a template was built
            info.update(currentblockweight=last_template["weight"], currentblocktx=last_template["tx"])
        info.update(difficulty=chain.difficulty(), networkhashps=0, pooledtx=0, chain="regtest", warnings="")
        return info
