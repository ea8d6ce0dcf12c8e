"""A node's answer to a peer's block request (`br`, StreamService.blocks_for) lists the blocks in
the order they were asked for: the reply's bytes, and how a lossy link splits them into frames,
must be the same in every run of a sim seed. The cache's part once came in the order of a set
intersection (by the CIDs' hashes)."""

import asyncio
import random

from fakenet.node.stream_service import StreamService
from fakenet.node.streams import ControllerKey, PinStore, StreamCache, apply_commit, apply_genesis, make_genesis, make_update

OWNER = ControllerKey.from_seed(bytes(range(32)))


def _stream(first: int, count: int):
    cid, data = make_genesis(OWNER, {"n": first})
    state, blocks = apply_genesis(cid, data), {cid: data}
    for n in range(1, count):
        cid, data = make_update(OWNER, state, {"n": first + n})
        state, blocks[cid] = apply_commit(state, cid, data), data
    return state, blocks


def test_blocks_come_back_in_the_order_asked_from_the_cache_and_the_pin_store(tmp_path):
    cached, cached_blocks = _stream(0, 40)
    pinned, pinned_blocks = _stream(1000, 40)
    pins = PinStore(tmp_path / "state.sqlite")
    try:
        pins.pin(pinned, pinned_blocks)
        service = StreamService(OWNER, StreamCache(10), pins)
        service._cache(cached, cached_blocks)
        for seed in range(5):
            asked = list(cached_blocks) + list(pinned_blocks)
            random.Random(seed).shuffle(asked)
            reply = asyncio.run(service.blocks_for(asked))
            assert list(reply) == asked
            assert reply == {**cached_blocks, **pinned_blocks}
    finally:
        pins.close()
