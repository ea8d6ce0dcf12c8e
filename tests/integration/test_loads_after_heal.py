"""Issue 24, deliverable 1 on node processes: a node that held a stream through a partition does
not answer loads from its old copy once it can reach a holder of a newer state again."""

import os

import requests

from fakenet.harness.waits import wait_for
from fakenet.node.streams import ControllerKey, apply_commit, apply_genesis, make_genesis, make_update
from support import local_nodes as local

ROUNDS = 3


def cut(nodes, writer) -> None:
    """Cut `writer` off from every other node (both ends, so neither redials) and wait until it is."""
    writer.rpc.setlinkfilter([n.name for n in nodes if n is not writer])
    for node in nodes:
        if node is not writer:
            node.rpc.setlinkfilter([writer.name])
    wait_for(writer.rpc.getconnectioncount, lambda n: n == 0, timeout=15,
             expected=f"{writer.name} has no peer left", logs=writer.logs)


def heal(nodes) -> None:
    for node in nodes:
        node.rpc.setlinkfilter([])
    for node in nodes:
        wait_for(node.rpc.getconnectioncount, lambda n: n == len(nodes) - 1, timeout=15,
                 expected=f"{node.name} connected to all {len(nodes) - 1} others again", logs=node.logs)


def content(node, stream_id: str) -> dict:
    return node.rpc.loadstream(stream_id)["state"]["content"]


def test_a_load_after_a_heal_returns_what_was_written_across_the_partition(tmp_path, start_nodes):
    """Before: each load after the heal returned the loader's pre-partition copy (it answered from
    its cache or pin store without asking), and kept serving it: 2 nodes x 3 rounds, 6 of 6 stale."""
    pinner, cacher, writer = nodes = start_nodes(local.full_mesh(tmp_path, 3))
    key = ControllerKey.from_seed(os.urandom(32))
    genesis = make_genesis(key, {"round": 0})
    created = requests.post(f"{pinner.api_url}/api/v0/streams", timeout=10,
                            json={"genesis": genesis[1].hex(), "cid": str(genesis[0]), "opts": {"pin": True}})
    stream_id = created.json()["streamId"]
    assert content(cacher, stream_id) == content(writer, stream_id) == {"round": 0}

    state, stale = apply_genesis(*genesis), []
    for round_ in range(1, ROUNDS + 1):
        cut(nodes, writer)
        cid, data = make_update(key, state, {"round": round_})
        requests.post(f"{writer.api_url}/api/v0/commits", timeout=10,
                      json={"streamId": stream_id, "commit": data.hex(), "cid": str(cid)}).raise_for_status()
        state = apply_commit(state, cid, data)
        assert content(writer, stream_id) == {"round": round_}
        assert content(pinner, stream_id) != {"round": round_}, "cut off, the pinner cannot have heard of it"
        heal(nodes)
        stale += [(round_, node.name, seen) for node in (pinner, cacher)
                  if (seen := content(node, stream_id)) != {"round": round_}]
    assert not stale, f"loads after a heal that missed the newer state ({len(stale)} of {2 * ROUNDS}): {stale}"

    # What the loads settled on is what the nodes now hold: with the writer cut off again, the
    # pinner's pin store and the cacher's cache answer (and the cacher re-serves it to the pinner).
    cut(nodes, writer)
    pinner.rpc.evictstreams(None, [stream_id])
    assert content(pinner, stream_id) == {"round": ROUNDS}, "the pin store holds the newer state"
    assert content(cacher, stream_id) == {"round": ROUNDS}, "the cache holds the newer state"
    pinner.rpc.unpinstream(stream_id)
    pinner.rpc.evictstreams(None, [stream_id])
    assert content(pinner, stream_id) == {"round": ROUNDS}, "loaded back from the cacher's copy"

