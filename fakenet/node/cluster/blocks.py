"""Pinning a block item for the cluster: the whole DAG under a CID, from this node or its peers.

ipfs-cluster asks its IPFS daemon for a recursive pin, which fetches what is missing over
bitswap. Here missing blocks come over the swarm's commit fetch (`bq`), which serves raw blocks
as well as commits, and are checked against their CID before they are stored. Links are
followed in dag-pb nodes (what `/add` builds); raw and dag-cbor blocks are pinned as leaves.
"""

from __future__ import annotations

import asyncio

from multiformats import CID

from fakenet.node.errors import NodeError
from fakenet.node.cluster import unixfs
from fakenet.node.streams import CommitRejected, codec

MAX_BLOCKS = 10_000  # a DAG this node would pin for the cluster; more is refused, not fetched forever


class BlockUnavailable(NodeError):
    def __init__(self, cid: CID, why: str):
        super().__init__(f"block {cid} {why}")


def _children(cid: CID, data: bytes) -> list[CID]:
    if cid.codec.name != "dag-pb":
        return []
    try:
        return unixfs.links(data)
    except ValueError as exc:
        raise BlockUnavailable(cid, f"is not valid dag-pb: {exc}") from exc


async def _get(pins, network, cid: CID, timeout: float) -> bytes:
    data = pins.get_block(cid)
    if data is not None:
        return data
    found = None
    if network is not None:
        # The fetch is a search of the whole component (fakenet/node/echo.py): it ends when every
        # reachable node has answered, so `timeout` bounds only how long we wait for it.
        try:
            blocks, _searched = await asyncio.wait_for(network.fetch([cid]), timeout)
            found = blocks.get(cid)
        except asyncio.TimeoutError:
            found = None
    if found is None:
        raise BlockUnavailable(cid, f"was not found on this node or its peers within {timeout:g}s")
    try:
        codec.verify(cid, found)
    except CommitRejected as exc:  # a peer sent bytes that are not this block
        raise BlockUnavailable(cid, str(exc)) from exc
    return found


async def pin(pins, network, root: CID, timeout: float) -> int:
    """Fetch what is missing, store and pin every block under `root`; returns how many."""
    todo, done = [root], set()
    while todo:
        cid = todo.pop()
        if cid in done:
            continue
        if len(done) >= MAX_BLOCKS:
            raise BlockUnavailable(root, f"has more than {MAX_BLOCKS} blocks")
        data = await _get(pins, network, cid, timeout)
        try:
            pins.pin_block(pins.put_block(data, cid.codec.name))
        except ValueError as exc:  # a codec the store does not keep, or dag-cbor that does not decode
            raise BlockUnavailable(cid, f"cannot be stored: {exc}") from exc
        done.add(cid)
        todo.extend(_children(cid, data))
    return len(done)


def unpin(pins, root: CID) -> bool:
    """Unpin every block under `root` that this node holds; False when the root was not held."""
    held = pins.unpin_block(root)
    todo = _children(root, pins.get_block(root) or b"") if held else []
    while todo:
        cid = todo.pop()
        if pins.unpin_block(cid):
            todo.extend(_children(cid, pins.get_block(cid) or b""))
    return held
