"""The stream cache is bounded by bytes as well as by count: 150 one-megabyte creates on 7007 once held
336 MB of a node's memory under the 500-stream limit. Here a 200 kB limit (FAKENET_STREAM_CACHE_BYTES)
takes ~2 MB of pinned streams; the cache stays under it, and every stream still loads from its pin."""

import pytest

from fakenet.errors import ExpectationFailed
from fakenet.harness.model import CacheBeyondModel, NetworkModel
from fakenet.harness.network import Network
from support import local_nodes as local

BYTE_LIMIT = 200_000


def test_streams_totalling_far_more_than_the_byte_limit_keep_the_cache_under_it(tmp_path, start_nodes):
    (node,) = start_nodes(local.full_mesh(tmp_path, 1, {"sync_timeout": 0.5},
                                          variables={"STREAM_CACHE_BYTES": str(BYTE_LIMIT)}), wait_peers=False)
    created, largest = [], 0
    for n in range(25):
        created.append(node.rpc.createstream({"n": n, "pad": "x" * 40_000}, True)["streamId"])
        info = node.rpc.getcacheinfo()
        largest = max(largest, info["bytes"])
    assert info["bytelimit"] == BYTE_LIMIT
    assert 0 < largest <= BYTE_LIMIT, f"expected the cache within {BYTE_LIMIT} bytes, observed up to {largest}"
    assert info["size"] < len(created), "25 streams of ~80 kB each were all kept under a 200 kB limit"
    for n, stream_id in enumerate(created):
        assert node.rpc.loadstream(stream_id)["state"]["content"]["n"] == n
        assert node.rpc.getcacheinfo()["bytes"] <= BYTE_LIMIT


def test_the_model_refuses_to_predict_a_cache_its_byte_limit_may_cut_and_would_be_wrong_without(monkeypatch):
    """The model predicts caches by count. Writes that may fill a node's byte limit are refused by it
    (the scenario's fault, in words); with that refusal planted out, the node evicts by bytes what the
    model still has it hold, and the holders check blames the node for the model's blind spot."""
    with Network(1, backend="local", settings={"cache_bytes": BYTE_LIMIT}) as net:
        net.streams.create("node", {"n": "small"})  # far under the bound: predicted as before
        with pytest.raises(CacheBeyondModel, match=r"node's stream cache may reach its byte limit \(200,000 bytes"):
            net.streams.create("node", {"n": 0, "pad": "x" * 40_000})
    monkeypatch.setattr(NetworkModel, "check_bytes", lambda self: None)
    with Network(1, backend="local", settings={"cache_bytes": BYTE_LIMIT}) as net:
        for n in range(8):
            net.streams.create("node", {"n": n, "pad": "x" * 40_000})
        with pytest.raises(ExpectationFailed):
            net.oracle.expect_holders()
