"""The fakenet_network fixture: configured by marker, parametrised by backend."""

import pytest


@pytest.mark.fakenet(nodes=3, topology="line", sync_timeout=0.5)
def test_marker_configures_nodes_and_topology(fakenet_network):
    net = fakenet_network
    assert net.names == ["node", "node2", "node3"]
    assert sorted(map(sorted, net.oracle.observed_graph().edges)) == [["node", "node2"], ["node2", "node3"]]
    stream = net.node("node").create_stream(pin=True)
    net.crash("node2")
    assert net.oracle.expect_availability(stream) == {(stream, "node"): True, (stream, "node3"): False}


@pytest.mark.fakenet(nodes=2)
@pytest.mark.parametrize("fakenet_network", ["local", pytest.param("docker", marks=pytest.mark.docker)],
                         indirect=True)
def test_indirect_parametrisation_picks_the_backend(fakenet_network, request):
    assert fakenet_network.backend.name == request.node.callspec.params["fakenet_network"]
    assert fakenet_network.oracle.observed_graph().number_of_edges() == 1
