"""Issue 4 acceptance on real node processes: loading across hops, cache, pins, bad commits, anchors."""

import pytest
from faker import Faker

from fakenet.errors import RpcError
from support import local_nodes as local
from fakenet.harness.api_client import ApiClient, ApiError
from fakenet.harness.waits import wait_for
from fakenet.node.streams import ControllerKey, StreamID, commits, rebuild
from fakenet.node.streams.codec import as_cid

ADDRESS = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"


def api(node):
    return ApiClient(node.api_url, node.name)


def test_streams_load_three_hops_away_and_follow_updates(tmp_path, start_nodes):
    a, b, c, d = start_nodes(local.line(tmp_path, ["a", "b", "c", "d"]))
    fake = Faker()
    Faker.seed(4)
    created = [a.rpc.createstream({"title": fake.sentence(), "body": fake.paragraph(), "author": fake.name()})
               for _ in range(20)]
    for state in created:
        loaded = d.rpc.loadstream(state["streamId"])
        assert loaded["state"]["content"] == state["state"]["content"]
        assert loaded["state"]["log"] == state["state"]["log"]
    target = created[0]["streamId"]
    updated = a.rpc.updatestream(target, {"title": "new title"})
    new_tip = updated["state"]["log"][-1]["cid"]
    wait_for(lambda: d.rpc.loadstream(target)["state"]["log"][-1]["cid"], lambda tip: tip == new_tip,
             timeout=10, expected=f"d moves to tip {new_tip}", logs=lambda: a.logs() + d.logs())
    assert d.rpc.loadstream(target)["state"]["content"] == {"title": "new title"}


def test_cache_evicts_least_recently_used_and_pins_elsewhere_still_load(tmp_path, start_nodes):
    a, b = start_nodes(local.full_mesh(tmp_path, 2, {"sync_timeout": 1}))
    first = [a.rpc.createstream({"n": i})["streamId"] for i in range(100)]
    b.rpc.pinstream(first[1])  # b loads it over the network and pins it
    b.rpc.evictstreams(None, [first[1]])  # only the pin keeps it on b
    rest = [a.rpc.createstream({"n": i})["streamId"] for i in range(100, 600)]
    info = a.rpc.getcacheinfo()
    assert (info["size"], info["limit"]) == (500, 500)
    assert info["lru"] == rest, "the 100 least recently used streams were not the ones evicted, in order"
    with pytest.raises(RpcError, match=rf"stream {first[0]} is unavailable: commit \S+ \(genesis\)") as caught:
        a.rpc.loadstream(first[0])
    assert caught.value.code == -33
    with pytest.raises(ApiError) as http_caught:
        api(a).load(first[0])
    assert http_caught.value.status == 503
    assert a.rpc.loadstream(first[1])["state"]["content"] == {"n": 1}
    assert a.rpc.getcacheinfo()["lru"][-1] == first[1], "a load is a use: it must be most recent"


def test_pinned_stream_survives_kill9_unpinned_does_not(tmp_path, start_nodes):
    (a,) = start_nodes(local.full_mesh(tmp_path, 1, {"sync_timeout": 0.5}), wait_peers=False)
    pinned = a.rpc.createstream({"keep": True}, True)["streamId"]
    updated = a.rpc.updatestream(pinned, {"keep": "updated"})
    unpinned = a.rpc.createstream({"keep": False})["streamId"]
    a.kill()
    a.start()
    a.wait_ready()
    assert a.rpc.loadstream(pinned)["state"]["log"] == updated["state"]["log"]
    assert a.rpc.listpins() == [pinned]
    with pytest.raises(RpcError, match="unavailable"):
        a.rpc.loadstream(unpinned)


def test_bad_commits_are_rejected_and_the_node_keeps_serving(tmp_path, start_nodes):
    (a,) = start_nodes(local.full_mesh(tmp_path, 1), wait_peers=False)
    owner, stranger = ControllerKey.generate(), ControllerKey.generate()
    genesis_cid, genesis = commits.make_genesis(owner, {"v": 1})
    stream_id = api(a).create_genesis(genesis_cid, genesis)["streamId"]
    state = rebuild({genesis_cid: genesis}, genesis_cid, stream_id=StreamID.parse(stream_id))

    wrong_cid, wrong_key_update = commits.make_update(stranger, state, {"v": 2})
    with pytest.raises(ApiError, match=f"not signed by a controller of {stream_id}") as caught:
        api(a).commit(stream_id, wrong_cid, wrong_key_update)
    assert caught.value.status == 400

    good_cid, good_update = commits.make_update(owner, state, {"v": 2})
    with pytest.raises(ApiError, match="does not match its CID"):
        api(a).commit(stream_id, genesis_cid, good_update)

    other_cid, other_genesis = commits.make_genesis(owner, {"other": True})
    orphan_cid, orphan = commits.sign(owner, {"id": genesis_cid, "prev": other_cid, "header": {}, "data": []})
    with pytest.raises(ApiError, match=f"unknown prev {other_cid}"):
        api(a).commit(stream_id, orphan_cid, orphan)

    assert api(a).commit(stream_id, good_cid, good_update)["state"]["content"] == {"v": 2}
    assert a.rpc.getblockcount() == 0


def _status(node, stream_id):
    return node.rpc.loadstream(stream_id)["state"]["anchorStatus"]


def test_new_stream_is_anchored_within_two_blocks_mined_elsewhere(mesh4):
    stream_id = mesh4[0].rpc.createstream({"anchor": "me"})["streamId"]
    assert _status(mesh4[0], stream_id) == "PENDING"
    wait_for(lambda: mesh4[3].rpc.getstreaminfo()["pendinganchors"], lambda n: n >= 1, timeout=10,
             expected="the anchor request reached node4", logs=mesh4.logs)
    mesh4[3].rpc.generatetoaddress(2, ADDRESS)
    wait_for(lambda: _status(mesh4[0], stream_id), lambda s: s == "ANCHORED", timeout=10,
             expected="ANCHORED after 2 blocks", logs=mesh4.logs)
    proof = mesh4[0].rpc.loadstream(stream_id)["state"]["anchorProof"]
    assert proof["blockHeight"] in (1, 2) and mesh4[0].rpc.getblockhash(proof["blockHeight"]) == proof["blockHash"]


def test_anchor_reorged_out_goes_back_to_pending_and_is_anchored_again(tmp_path, start_nodes):
    a, b = local.nodes(tmp_path, {"a": [], "b": []})
    pair = start_nodes([a, b], wait_peers=False)
    stream_id = a.rpc.createstream({"side": "a"}, True)["streamId"]
    a.rpc.generatetoaddress(1, ADDRESS)
    assert _status(a, stream_id) == "ANCHORED"
    heavy = b.rpc.generatetoaddress(3, ADDRESS)
    a.rpc.addnode(b.swarm_addr, "add")
    pair.wait_tip(3)
    assert a.rpc.getbestblockhash() == heavy[-1]
    assert _status(a, stream_id) == "PENDING"
    b.rpc.generatetoaddress(1, ADDRESS)
    wait_for(lambda: _status(a, stream_id), lambda s: s == "ANCHORED", timeout=10,
             expected="anchored again on the winning chain", logs=pair.logs)
    proof = a.rpc.loadstream(stream_id)["state"]["anchorProof"]
    assert proof["blockHeight"] == 4 and as_cid(a.rpc.loadstream(stream_id)["state"]["log"][-1]["cid"])
