"""Issue 14 on real node processes: a swarm peer with a fresh key (no swarm key, the default)
cannot roll a pinned stream back with a forged anchor (S1) nor write the cluster pinset (S2)."""

import asyncio
import os

from fakenet.fuzz.peer import RoguePeer
from support import node_processes as local
from fakenet.harness.waits import wait_for
from fakenet.node.settings import SWARM_PORT
from fakenet.node.streams import StreamID, codec, commits

FORGED_PROOF = {"chain": "fakenet", "blockHash": "00" * 32, "blockHeight": 0, "root": "11" * 32, "path": []}


def pinned_balance(node) -> tuple[str, dict]:
    stream_id = node.rpc.createstream({"balance": 0}, True)["streamId"]
    return stream_id, node.rpc.updatestream(stream_id, {"balance": 200})


def forged_anchor_update(stream_id: str) -> dict:
    """An unsigned anchor commit on the stream's genesis, 'proved' by height 0: the earliest
    anchor wins conflict resolution, so trusting it would roll the stream back to genesis."""
    genesis = StreamID.parse(stream_id).genesis
    cid, data = codec.encode({"id": genesis, "prev": genesis, "proof": FORGED_PROOF})
    commits.check_proof(FORGED_PROOF)
    return {"t": "su", "gid": os.urandom(8).hex(), "stream": stream_id, "tip": str(cid),
            "blocks": {str(cid): data.hex()}, "hops": 8}


async def attack(node, *messages, barrier_stream: str) -> dict:
    rogue = await RoguePeer.connect(node.ip, SWARM_PORT)
    try:
        for message in messages:
            await rogue.send(message)
        return await rogue.barrier(barrier_stream)
    finally:
        rogue.close()


def test_a_forged_anchor_does_not_roll_a_pinned_stream_back(tmp_path, start_nodes):
    nodes = start_nodes(local.full_mesh(tmp_path, 2))
    stream_id, updated = pinned_balance(nodes[0])
    nodes[1].rpc.pinstream(stream_id)
    for node in nodes:
        seen = asyncio.run(attack(node, forged_anchor_update(stream_id), barrier_stream=stream_id))
        assert seen["tip"] == updated["state"]["log"][-1]["cid"], f"{node.name} moved to the forged anchor"
    for node in nodes:
        state = node.rpc.loadstream(stream_id)["state"]
        assert state["content"] == {"balance": 200}, node.name
        assert state["log"] == updated["state"]["log"], node.name


def test_a_non_member_cannot_add_or_remove_cluster_pins(tmp_path, start_nodes):
    (node,) = start_nodes(local.full_mesh(tmp_path, 1), wait_peers=False)
    kept = node.rpc.createstream({"kept": True})["streamId"]
    node.rpc.clusterpinadd(kept)
    before = node.rpc.clusterpinls()
    other = node.rpc.createstream({"other": True})["streamId"]
    entry = {"rmin": -1, "rmax": -1, "name": "evil", "added_at": 1e9, "clock": 10**6, "origin": "12D3KooWevil",
             "allocations": []}
    add = {"t": "cp", "gid": "evil-add", "entry": {**entry, "stream_id": other}, "hops": 8}
    remove = {"t": "cp", "gid": "evil-rm", "entry": {**entry, "stream_id": kept, "removed": True}, "hops": 8}
    state = {"t": "cs", "entries": [add["entry"], remove["entry"]]}
    asyncio.run(attack(node, add, remove, state, barrier_stream=kept))
    assert node.rpc.clusterpinls() == before


def test_an_inbound_peer_cannot_claim_a_peer_address_before_it_is_dialled(tmp_path, start_nodes):
    """S5: mallory dials in first, announcing node2's address; node2 must still be trusted there."""
    a, b = local.full_mesh(tmp_path, 2)
    start_nodes([a], wait_peers=False)
    barrier = a.rpc.createstream({"barrier": True})["streamId"]

    async def claim():
        rogue = await RoguePeer.connect(a.ip, SWARM_PORT, announce=b.swarm_addr)
        await rogue.barrier(barrier)  # the handshake, and so any trust it created, is done
        rogue.close()

    asyncio.run(claim())
    start_nodes([b], wait_peers=False)
    b_id = b.rpc.getnetworkinfo()["peerid"]
    wait_for(lambda: a.rpc.listpeeridentities()["trusted"], lambda t: t.get(b.swarm_addr) == b_id,
             timeout=10, expected=f"{a.name} trusts node2's key at its address", logs=a.logs)
    wait_for(lambda: [p["peerid"] for p in a.rpc.getpeerinfo()], lambda ids: b_id in ids, timeout=10,
             expected=f"{a.name} connected to node2", logs=a.logs)


def test_idle_unauthenticated_swarm_connections_are_capped(tmp_path, start_nodes):
    """S8: 1,650 idle sockets were once held at once; past the cap the oldest is closed at once
    (issue 24: it used to be the newcomer, so idle sockets could keep every peer out)."""
    (node,) = start_nodes(local.full_mesh(tmp_path, 1), wait_peers=False)
    barrier = node.rpc.createstream({"barrier": True})["streamId"]

    async def flood():
        held = [await asyncio.open_connection(node.ip, SWARM_PORT) for _ in range(64)]
        await asyncio.wait_for(held[0][0].read(), 3)  # the node's hello, then its end (not the 5 s timeout)
        oldest_closed = held[0][0].at_eof()
        for _, writer in held:
            writer.close()
        return oldest_closed

    assert asyncio.run(flood())
    wait_for(lambda: asyncio.run(attack(node, barrier_stream=barrier))["tip"], bool, timeout=10,
             expected="a peer handshakes once the idle sockets are gone", logs=node.logs)
