"""Issue 5 acceptance: every fault applied and undone against the oracle, availability across
non-transitive topologies, partition + mining + heal, and teardown that leaves nothing."""

import networkx as nx
import pytest

from fakenet.harness.network import Network

ADDRESS = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"
BACKENDS = [pytest.param("local", id="local"), pytest.param("docker", id="docker", marks=pytest.mark.docker)]


@pytest.fixture(scope="module", params=BACKENDS)
def net4(request):
    with Network(4, backend=request.param) as net:
        yield net


def _one_way_cut(names):
    graph = nx.complete_graph(names, create_using=nx.DiGraph)
    graph.remove_edge("node", "node2")  # node may not reach node2; node2 may still reach node
    return graph


FAULTS = {
    "crash": lambda net: net.crash("node3"),
    "stop": lambda net: net.stop("node3"),
    "restart": lambda net: net.restart("node3"),
    "pause": lambda net: net.pause("node3"),
    "lose_identity": lambda net: net.lose_identity("node3"),
    "evict_cache": lambda net: net.evict_cache("node2", count=1),
    "cache_pressure": lambda net: net.cache_pressure("node2", 3),
    "partition": lambda net: net.partition([["node", "node2"], ["node3", "node4"]]),
    "cut_links_one_way": lambda net: net.cut_links(_one_way_cut(net.names)),
    "isolate": lambda net: net.isolate("node4"),
    "degrade": lambda net: net.degrade("node", "node2", loss=0.1, delay_ms=20),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_each_fault_applies_matches_the_oracle_and_undoes(net4, fault):
    net4.streams.create("node2")
    FAULTS[fault](net4)
    net4.oracle.expect_graph(timeout=20)
    net4.oracle.expect_holders()
    net4.heal()
    net4.oracle.expect_recovered(within=30)
    assert net4.oracle.observed_graph().number_of_edges() == 6, "not a full mesh again after heal"
    net4.oracle.expect_holders()


@pytest.mark.parametrize("backend", BACKENDS)
def test_line_with_a_cut_availability_follows_components(backend):
    with Network(3, backend=backend) as net:
        net.cut_links(nx.DiGraph([("node", "node2"), ("node2", "node"), ("node2", "node3"), ("node3", "node2")]))
        net.oracle.expect_graph()
        streams = [net.streams.create(name) for name in net.names]
        net.oracle.expect_availability(streams)  # all available: node3 reaches node's stream through node2
        net.crash("node2")
        net.oracle.expect_graph()
        fresh = [net.streams.create("node"), net.streams.create("node3")]
        observed = net.oracle.expect_availability(fresh)
        assert sorted(observed.values()) == [False, False, True, True]


@pytest.mark.parametrize("backend", BACKENDS)
def test_ring_of_five_with_a_cut_and_a_crash_splits_availability_exactly(backend):
    with Network(5, backend=backend, topology="ring") as net:
        ring = nx.cycle_graph(net.names).to_directed()
        ring.remove_edges_from([("node", "node5"), ("node5", "node")])
        net.cut_links(ring)
        net.crash("node3")  # leaves {node, node2} and {node4, node5}
        net.oracle.expect_graph()
        assert sorted(map(sorted, nx.connected_components(net.oracle.expected_graph()))) == [["node", "node2"],
                                                                                      ["node4", "node5"]]
        streams = [net.streams.create(name) for name in ("node", "node5")]
        observed = net.oracle.expect_availability(streams)
        assert sum(observed.values()) == 4 and len(observed) == 8


@pytest.mark.parametrize("backend", BACKENDS)
def test_partition_mine_both_sides_heal_one_tip_and_losing_anchors_reanchor(backend):
    with Network(4, backend=backend) as net:
        net.partition([["node", "node2"], ["node3", "node4"]])
        net.oracle.expect_graph()
        loser_stream = net.streams.create("node3", pin=True)
        net.node("node3").rpc("generatetoaddress", 1, ADDRESS)
        assert net.node("node3").rpc("loadstream", loser_stream)["state"]["anchorStatus"] == "ANCHORED"
        winning = net.node("node").rpc("generatetoaddress", 3, ADDRESS)
        net.oracle.expect_converged()
        net.heal()
        took = net.oracle.expect_recovered(within=20)
        assert net.node("node4").rpc("getbestblockhash") == winning[-1]
        status = net.node("node3").rpc("loadstream", loser_stream)["state"]["anchorStatus"]
        assert status == "PENDING", "the losing side's anchor survived the reorg"
        net.node("node2").rpc("generatetoaddress", 1, ADDRESS)
        net.oracle.expect_converged()
        state = net.node("node3").rpc("loadstream", loser_stream)["state"]
        assert state["anchorStatus"] == "ANCHORED" and state["anchorProof"]["blockHeight"] == 4
        assert took < 20


@pytest.mark.parametrize("backend", BACKENDS)
def test_teardown_after_a_failing_test_leaves_nothing(backend):
    leftovers = {}
    with pytest.raises(RuntimeError, match="the test failed"):
        with Network(3, backend=backend) as net:
            net.partition([["node"], ["node2", "node3"]])
            net.pause("node3")
            leftovers["net"] = net
            raise RuntimeError("the test failed")
    net = leftovers["net"]
    if backend == "docker":
        client, label = net.backend.client, {"label": f"io.fakenet.run={net.backend.run}"}
        assert client.containers.list(all=True, ignore_removed=True, filters=label) == []
        assert client.networks.list(filters=label) == [] and client.volumes.list(filters=label) == []
    else:
        assert not any(runtime.process.running() for runtime in net.fleet.runtimes.values())
    assert net.fleet.active == [], "faults left active after teardown"
