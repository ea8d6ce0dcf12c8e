"""The hosts backend across two Docker hosts: a partition-heal scenario with a side on each, and
nothing left on either afterwards.

The second host is $FAKENET_SECOND_HOST: .ci/run starts a second Docker engine in a container
(.ci/dind: a unix socket; $FAKENET_SECOND_REACH is where its published ports are reached, and the
overlay really crosses engines) or, where none can run, a throwaway sshd (.ci/sshd:
ssh://root@localhost:PORT, a second client of this engine). Without it the test skips locally
and fails on CI.
"""

import os
from pathlib import Path

import docker
import pytest

from fakenet.harness.backends import swarm
from fakenet.harness.network import Network
from fakenet.labels import RUN_LABEL
from fakenet.scenario import load
from fakenet.scenario.runner import run

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.one_worker("swarm")]  # the engine's swarm membership
SECOND = os.environ.get("FAKENET_SECOND_HOST")
REACH = {"h2": os.environ["FAKENET_SECOND_REACH"]} if os.environ.get("FAKENET_SECOND_REACH") else {}
SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "partition-heal.yaml"


@pytest.fixture
def two_hosts():
    if not SECOND:
        if os.environ.get("CI"):
            pytest.fail("CI needs FAKENET_SECOND_HOST (.ci/run sets it)")
        pytest.skip("no second Docker host: set FAKENET_SECOND_HOST=ssh://root@localhost (see .ci/sshd)")
    clients = [docker.from_env(), docker.DockerClient(base_url=SECOND)]
    swarm_before = [swarm.state(c)["LocalNodeState"] for c in clients]
    yield {"h1": "local", "h2": SECOND}, clients
    # A swarm this test made is gone again, unless another test's fakenet overlay (a concurrent xdist
    # worker) still holds it. A swarm that was already up is another worker's: it may leave it
    # meanwhile (a CI run at -n 4 saw 'active' before and 'inactive' after), so only an engine that
    # was out of any swarm is held to it.
    if not swarm._overlays(clients[0]):
        after = [swarm.state(c)["LocalNodeState"] for c in clients]
        made = [(before, now) for before, now in zip(swarm_before, after) if before == "inactive" and now != "inactive"]
        assert not made, f"the swarm was not left as found (before, after): {list(zip(swarm_before, after))}"
    for client in clients:
        client.close()


def leftovers(clients, run_id):
    label = {"label": f"{RUN_LABEL}={run_id}"}
    return [item.name for client in clients for listing in (client.containers.list(all=True, ignore_removed=True, filters=label),
            client.networks.list(filters=label), client.volumes.list(filters=label)) for item in listing]


def test_partition_heal_scenario_with_one_side_per_host_leaves_nothing_on_either(two_hosts):
    hosts, clients = two_hosts
    placement = {"node": "h1", "node2": "h1", "node3": "h2", "node4": "h2"}  # the scenario's partition is by host
    run_id = "mh" + os.urandom(4).hex()
    result = run(load(SCENARIO), "hosts", hosts=hosts, placement=placement, reach=REACH, run=run_id)
    assert result.ok, result.failure
    assert not leftovers(clients, run_id)


def test_partition_by_host_is_one_step_and_crashes_go_through_the_nodes_own_host(two_hosts):
    hosts, clients = two_hosts
    net = Network(4, backend="hosts", hosts=hosts, reach=REACH)
    run_id = net.backend.run
    try:
        net.start()
        assert net.backend.groups() == [["node", "node3"], ["node2", "node4"]]  # round-robin
        assert net.fleet.runtimes["node2"].container.client is net.backend.clients["h2"]  # made through its own host
        assert net.fleet.runtimes["node"].container.client is net.backend.clients["h1"]
        net.partition(net.backend.groups())
        net.oracle.expect_graph()
        net.crash("node2")
        net.oracle.expect_graph()
        net.heal()
        net.oracle.expect_recovered(within=30)
    finally:
        net.close()
    assert not leftovers(clients, run_id)
