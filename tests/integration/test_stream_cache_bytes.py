"""The stream cache is bounded by bytes as well as by count: 150 one-megabyte creates on 7007 once held
336 MB of a node's memory under the 500-stream limit. Here a 200 kB limit (FAKENET_STREAM_CACHE_BYTES)
takes ~2 MB of pinned streams; the cache stays under it, and every stream still loads from its pin."""

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
