"""Issue 13, deliverables 1 and 6 on node processes: lookups reach every holder in the component,
whatever its diameter and link delays; a cleared link delay releases what it held back; loss seeds."""

import time

import pytest

from fakenet.errors import RpcError
from support import local_nodes as local
from fakenet.harness.waits import wait_for


def topology(tmp_path, edges, names, settings=None):
    """Nodes that dial exactly their neighbours in `edges` (each edge dialled from one end)."""
    return local.nodes(tmp_path, {name: [v for u, v in edges if u == name] for name in names}, settings)


BATCH = 8  # nodes started at once: 64 Python processes importing together starve 2 cores
READY = 120  # seconds a batch may take to answer RPC on a machine shared with other test runs


@pytest.fixture
def start_patiently():
    """Start nodes in batches, each batch given READY seconds; kill them all at teardown."""
    started = []

    def start(nodes):
        for i in range(0, len(nodes), BATCH):
            batch = nodes[i:i + BATCH]
            for node in batch:
                node.start()
                started.append(node)
            for node in batch:
                node.wait_ready(timeout=READY)
        return nodes

    yield start
    for node in started:
        node.close()


def start(start_patiently, nodes, edges):
    """Start, then wait until every node has as many connections as it has neighbours."""
    mesh = start_patiently(nodes)
    degree = {node.name: sum(node.name in edge for edge in edges) for node in mesh}
    logs = lambda: [line for node in mesh for line in node.logs(4)]  # noqa: E731
    for node in mesh:
        wait_for(node.rpc.getconnectioncount, lambda n, want=degree[node.name]: n == want, timeout=READY,
                 expected=f"{node.name} has {degree[node.name]} peers", logs=logs)
    return {node.name: node for node in mesh}


@pytest.mark.slow
def test_a_stream_pinned_at_one_end_of_a_64_node_line_loads_at_the_other_end(tmp_path, start_patiently):
    names = [f"n{i}" for i in range(64)]
    edges = list(zip(names, names[1:]))
    began = time.monotonic()
    # No cluster: its heartbeats go all to all (4,032 pairs relayed along 63 hops), which is not what
    # this test measures, and on a shared machine they starve the 64 processes past the 3 s sync timeout.
    nodes = start(start_patiently, topology(tmp_path, edges, names, {"cluster": False}), edges)
    print(f"64 nodes up and linked in {time.monotonic() - began:.1f}s")
    stream_id = nodes["n0"].rpc.createstream({"far": "away"}, True)["streamId"]
    began = time.monotonic()
    assert nodes["n63"].rpc.loadstream(stream_id)["state"]["content"] == {"far": "away"}
    print(f"load across 63 hops in {time.monotonic() - began:.2f}s")
    gone = nodes["n0"].rpc.createstream({"held": "nowhere"})["streamId"]
    nodes["n0"].rpc.evictstreams(None, [gone])
    began = time.monotonic()
    with pytest.raises(RpcError, match="searched all 63 other nodes"):
        nodes["n63"].rpc.loadstream(gone)
    print(f"a search of all 64 nodes that finds nothing ends in {time.monotonic() - began:.2f}s")


def test_a_slow_short_link_to_a_holder_beside_a_long_ring_detour_does_not_lose_the_load(tmp_path, start_patiently):
    """Issue 13, case 2: `a` on a ring of 10, the holder `h` behind a's neighbour `b`, and a–b
    500 ms slow: the query reaches b first the long way round (9 hops), which an 8-hop flood
    reached with its budget spent before dropping the copy from a as a duplicate."""
    ring = [f"r{i}" for i in range(10)]
    edges = [*zip(ring, ring[1:] + ring[:1]), ("h", "r1")]
    nodes = start(start_patiently, topology(tmp_path, edges, [*ring, "h"]), edges)
    stream_id = nodes["h"].rpc.createstream({"behind": "b"}, True)["streamId"]
    nodes["r0"].rpc.setlinkfilter([], {}, {"r1": 500})
    nodes["r1"].rpc.setlinkfilter([], {}, {"r0": 500})
    assert nodes["r0"].rpc.loadstream(stream_id)["state"]["content"] == {"behind": "b"}


def test_clearing_a_huge_delay_releases_frames_at_once_and_loss_takes_a_seed(tmp_path, start_patiently):
    """Issue 14 S6: frames held back by a delay were stuck until restart, even after clearing."""
    edges = [("b", "a")]
    nodes = start(start_patiently, topology(tmp_path, edges, ["a", "b"], {"sync_timeout": 1}), edges)
    a, b = nodes["a"], nodes["b"]
    stream_id = a.rpc.createstream({"held": "back"}, True)["streamId"]
    a.rpc.setlinkfilter([], {}, {"b": 60_000})  # a minute: the most the node takes (issue 14 S6)
    with pytest.raises(RpcError, match=r"gave up on 1 link\(s\) silent"):
        b.rpc.loadstream(stream_id)  # a's answer now waits in a's outbox
    a.rpc.setlinkfilter([], {}, {})
    assert b.rpc.loadstream(stream_id)["state"]["content"] == {"held": "back"}
    assert a.rpc.getconnectioncount() == 1, "the link outlived its delay"

    assert a.rpc.setlinkfilter([], {"b": 0.5}, {}, 7)["seeded"] == ["b"]
    assert a.rpc.setlinkfilter([], {"b": 0.5}, {}, {"b": 7})["seeded"] == ["b"]
    with pytest.raises(RpcError, match="seed must be an integer"):
        a.rpc.setlinkfilter([], {"b": 0.5}, {}, "seven")
    a.rpc.setlinkfilter([], {}, {})
