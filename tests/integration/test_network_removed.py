"""A docker run whose network someone else takes away mid-run (`docker network disconnect`, then
`docker network rm`): the harness polled the nodes' old addresses until the step's deadline and
blamed the wait's timeout. Now the wait ends within a look or two of the engine's, as the
infrastructure's failure, in one line that names the network and what happened."""

import time

import docker
import pytest

from fakenet import Network
from fakenet.bundle import INFRASTRUCTURE, Recorder, from_test
from fakenet.bundle.build import scenario_verdict
from fakenet.errors import NodeGone
from fakenet.scenario import parse, run

pytestmark = pytest.mark.docker

PROMPTLY = 20.0  # seconds: a first look at nodes without addresses and a look or two at the engine; the deadline is 120


def _take_network_away(net, remove: bool) -> str:
    """What another user or tool does: every node's endpoint disconnected, then (`remove`) the network."""
    client = docker.from_env()
    network = client.networks.get(net.backend.network_name)
    for name in net.names:
        network.disconnect(net.runtime(name).container.id, force=True)
    if remove:
        network.remove()
    return network.name


ONE_WAIT = """name: network-taken-away
nodes: 3
steps:
  - heal
  - expect_graph: {within: 120s}
"""


def test_a_network_removed_under_a_scenario_ends_its_step_at_once_as_the_infrastructures_fault():
    taken = []

    def before_step_2(index, step, outcome, net):
        if index == 1 and outcome is None:
            taken.append(_take_network_away(net, remove=True))

    recorder = Recorder()
    result = run(parse(ONE_WAIT, "taken.yaml"), "docker", on_step=before_step_2, recorder=recorder)
    assert [r.ok for r in result.results] == [True, False], result.failure
    assert result.results[1].seconds < PROMPTLY, (result.results[1].seconds, result.failure)
    verdict = scenario_verdict(result)
    assert verdict.side == INFRASTRUCTURE, verdict
    line = verdict.sentence()
    assert "\n" not in line and f"network {taken[0]} was removed (`docker network rm`)" in line, line
    assert "from outside the run" in line and "node, node2, node3" in line, line
    assert recorder.evidence, "the usual evidence (logs, tips, graph) is still gathered"


def test_nodes_disconnected_under_a_test_end_its_wait_at_once_as_the_infrastructures_fault():
    with Network(3, backend="docker") as net:
        name = _take_network_away(net, remove=False)
        # Right after: the backend's last look (the start's graph check) said nothing was lost; the
        # wait asks afresh before its first look. (A look already under way when the network goes
        # ends at its own timeout, 30 s, and the wait before the next: bounded, not measured here.)
        began = time.monotonic()
        with pytest.raises(NodeGone) as caught:
            net.oracle.expect_graph(timeout=120)
        assert time.monotonic() - began < PROMPTLY, caught.value
        recorder = Recorder()
        began = time.monotonic()
        recorder.collect(net, caught.value)  # logs and configs from the engine; the nodes are not asked
        assert time.monotonic() - began < PROMPTLY, "the evidence waited on addresses that are gone"
        bundle = from_test("test_disconnected", net, caught.value, started=True, recorder=recorder)
    assert bundle.verdict.side == INFRASTRUCTURE, bundle.verdict
    line = bundle.verdict.sentence()
    assert "\n" not in line and f"network {name} lost the endpoints of node, node2, node3" in line, line
    assert "`docker network disconnect`" in line
    assert recorder.evidence.logs["node2"] and recorder.evidence.configs["node2"]
    assert any(problem.startswith("tips, holdings and availability: not asked: network") for problem in
               recorder.evidence.problems), recorder.evidence.problems


def test_one_node_disconnected_leaves_only_it_unasked_in_the_evidence():
    """The evidence skipped every node's tips, holdings and graph when one node lost its endpoint."""
    with Network(3, backend="docker") as net:
        docker.from_env().networks.get(net.backend.network_name).disconnect(net.runtime("node3").container.id, force=True)
        with pytest.raises(NodeGone) as caught:
            net.oracle.expect_graph(timeout=120)
        recorder = Recorder()
        began = time.monotonic()
        recorder.collect(net, caught.value)
        assert time.monotonic() - began < PROMPTLY, "the evidence waited on the address that is gone"
    evidence = recorder.evidence
    assert {name: tip["observed"] is not None for name, tip in evidence.tips.items()} == \
        {"node": True, "node2": True, "node3": False}, evidence.problems
    assert ["node", "node2"] in [list(edge) for edge in evidence.final.observed], evidence.final
    assert any(problem.startswith("tips, holdings and availability: not asked of node3: network") for problem in
               evidence.problems), evidence.problems
