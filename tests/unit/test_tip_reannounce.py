"""The periodic tip re-announcement (fakenet.node.chain_sync) goes only to peers not known to hold
our tip: an idle pair sends none, a peer left behind (its block lost) is still told and catches
up, and once it says it holds the tip it is told no more. Two real swarms on loopback."""

import asyncio

from fakenet.node.chain import Chain
from fakenet.node.chain_sync import ChainSync
from support.swarm_pair import address, pair, until

ANYONE = bytes.fromhex("51")  # OP_TRUE


def test_an_idle_pair_re_announces_nothing_and_a_peer_behind_is_told_until_it_holds_the_tip(tmp_path):
    async def scenario():
        async with pair(tmp_path) as (a, b):
            chain_a, chain_b = (Chain(tmp_path / f"{name}.sqlite", "fakenet") for name in ("a", "b"))
            sync_a, sync_b = ChainSync(chain_a, a), ChainSync(chain_b, b)
            try:
                await a.dial_once(address(b))
                await until(lambda: len(sync_a._peer_tips) == len(sync_b._peer_tips) == 1, "both ends to hear a tip")
                assert await sync_a.reannounce_once() == [] and await sync_b.reannounce_once() == [], \
                    "equal tips, each known to the other: nothing to re-announce"

                chain_a.add_block(chain_a.mine(ANYONE))  # as if a's relay of it was lost on the way to b
                assert [conn.peer_id for conn in await sync_a.reannounce_once()] == [b.local.identity.peer_id]
                await until(lambda: chain_b.tip().hash == chain_a.tip().hash, "b to catch up from the re-announcement")
                # b holds a's tip now, but a only knows once b answers an announcement of it.
                await sync_a.reannounce_once()
                await until(lambda: sync_a._peer_tips.get(a.connections[b.local.identity.peer_id]) == chain_a.tip().hash,
                            "b to answer that it holds the tip")
                assert await sync_a.reannounce_once() == [] and await sync_b.reannounce_once() == []
            finally:
                chain_a.close()
                chain_b.close()

    asyncio.run(scenario())
