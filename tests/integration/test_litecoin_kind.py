"""Issue 15: Litecoin Core regtest as a node kind, driven by the harness and by `./fake up --kind litecoin`."""

import json
import subprocess
import sys
import uuid

import docker
import networkx as nx
import pytest

from fakenet import compose, kinds, netstatus
from fakenet.errors import ConfigError
from fakenet.harness.network import Network
from fakenet.harness.waits import wait_for
from fakenet.kinds.litecoin import MINE_TO
from fakenet.scenario import ScenarioError, parse


def test_the_kind_offers_chain_only_and_scenarios_that_need_more_are_refused():
    kind = kinds.get("litecoin")
    assert kind.capabilities == {"chain"} and not kind.link_control and not kind.runs_on("local")
    for step, missing in (("lose_identity: node2", "identity"), ("evict_cache: {on: node2}", "streams")):
        with pytest.raises(ScenarioError) as raised:
            parse(f"name: s\nnodes: 4\nkinds: [litecoin]\nsteps:\n  - mine: {{on: node}}\n  - {step}\n", "s.yaml")
        assert "s.yaml:6" in str(raised.value) and missing in str(raised.value)


def test_the_local_backend_refuses_it():
    with pytest.raises(ConfigError, match="use the docker backend"):
        Network(4, backend="local", kind="litecoin")


@pytest.mark.docker
def test_crash_partition_heal_and_chains_converge():
    with Network(4, backend="docker", kind="litecoin", start_timeout=120) as net:
        assert len(set(net.oracle.model.identity.values())) == 4
        net.chain.mine("node", 1)
        net.oracle.expect_converged(timeout=30)
        net.crash("node4")
        net.oracle.expect_graph(timeout=30)
        net.partition([["node", "node2"], ["node3", "node4"]])
        net.oracle.expect_graph(timeout=30)
        assert net.node("node").peers() == {"node2"}
        net.chain.mine("node", 2)
        net.chain.mine("node3", 4)
        net.oracle.expect_converged(timeout=30)
        net.heal()  # node4 back, links back: the lighter side reorgs onto node3's chain
        net.oracle.expect_recovered(within=90)
        tips = {name: net.runtime(name).client.tip() for name in net.names}
        assert {tip.height for tip in tips.values()} == {5}
        assert "valid-fork" in {t["status"] for t in net.runtime("node").client.chain_tips()}  # its abandoned branch
        with pytest.raises(ConfigError, match="no netem"):
            net.degrade("node", "node2", delay_ms=50)


@pytest.mark.docker
@pytest.mark.fakenet(kind="litecoin", backend="docker", topology="ring")
def test_pause_restart_one_way_cut_and_loss_through_the_marker(fakenet_network):
    net = fakenet_network
    net.pause("node2")
    net.oracle.expect_graph(timeout=30)
    net.heal()  # unpaused
    net.restart("node3")  # stop and start: same data dir, same id, the chain kept
    net.oracle.expect_recovered(within=60)
    one_way = nx.complete_graph(net.names, create_using=nx.DiGraph)
    one_way.remove_edge("node", "node2")  # node's packets to node2 dropped: the TCP link dies both ways
    net.cut_links(one_way)
    net.oracle.expect_graph(timeout=30)
    assert "node2" not in net.node("node").peers()
    net.heal()
    net.degrade("node", "node2", loss=0.2)  # iptables statistic: a lossy link is still a link
    net.chain.mine("node3", 3)
    net.oracle.expect_recovered(within=60)


def fake(project, *args, check=True):
    result = subprocess.run([sys.executable, "-m", "fakenet", "-p", project, *args], cwd=compose.REPO,
                            capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"./fake {' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def leftovers(client, project):
    label = {"label": f"io.fakenet.project={project}"}
    return ([c.name for c in client.containers.list(all=True, ignore_removed=True, filters=label)] +
            [n.name for n in client.networks.list(filters=label)] +
            [v.name for v in client.volumes.list(filters=label)])


@pytest.mark.docker
def test_fake_up_kind_litecoin_exec_status_logs_down():
    client, project = docker.from_env(), f"fl{uuid.uuid4().hex[:8]}"
    try:
        up = fake(project, "up", "-d", "--kind", "litecoin")
        assert "node4" in up.stdout, up.stdout
        info = json.loads(fake(project, "exec", "node", "cli", "-getinfo").stdout)
        assert info["chain"] == "regtest"
        names = ("node", "node2", "node3", "node4")
        connections = lambda: [json.loads(fake(project, "exec", n, "cli", "-getinfo").stdout)["connections"]["total"]
                               for n in names]
        # One connection per link: only the earlier end dials (both did: 5 or 6 per node).
        wait_for(connections, lambda counts: counts == [3, 3, 3, 3], timeout=60, expected="3 connections on each node")
        fake(project, "exec", "node", "cli", "generatetoaddress", "2", MINE_TO)
        status = json.loads(fake(project, "exec", "node2", "fakenet-status").stdout)  # status without a route
        assert status["connections"]["total"] == 3 and len(status["peerid"]) == 16
        kind = kinds.get(compose.kind_of(project))
        assert kind.name == "litecoin"
        wait_for(lambda: {row.height for row in netstatus.probe_all(client, project, kind)}, lambda h: h == {2},
                 timeout=30, expected="every node at height 2")
        status = fake(project, "status").stdout
        assert "node4" in status and "running" in status, status
        assert "Litecoin Core version" in fake(project, "logs", "node2").stdout
        assert "node: node2 node3 node4" in fake(project, "graph").stdout
    finally:
        fake(project, "down", "-v", check=False)
    assert leftovers(client, project) == []


REPLAYED = """name: litecoin-replay
nodes: 3
seed: 3
kinds: [fakenet, litecoin]
backends: [docker]
steps:
  - mine: {on: node, blocks: 1}
  - expect_converged: {within: 60s}
  - expect_reorg: {on: node2}
"""


def test_the_replay_of_a_failing_litecoin_run_runs_litecoin_and_fails_the_same_way(tmp_path):
    """The file lists fakenet first: a replay line without --kind ran fakenet (and a different failure could pass)."""
    scenario = tmp_path / "replayed.yaml"  # outside the checkout: the replay names it by absolute path
    scenario.write_text(REPLAYED)
    run = lambda *args: subprocess.run([str(compose.REPO / "fake"), *args], cwd=compose.REPO, capture_output=True,
                                       text=True, stdin=subprocess.DEVNULL, timeout=600)
    first = run("scenario", "run", str(scenario), "--backend", "docker", "--kind", "litecoin")
    assert first.returncode == 1, first.stdout + first.stderr
    replay = first.stdout.strip().splitlines()[-1]
    assert replay.endswith(f"{scenario} --backend docker --seed 3 --kind litecoin"), replay
    again = run(*replay.removeprefix("replay: ./fake ").split())
    assert again.returncode == 1, again.stdout + again.stderr
    for done in (first, again):
        assert "replayed.yaml:9: step `expect_reorg: {on: node2}` failed" in done.stdout, done.stdout
        assert "the model predicts no reorg on node2" in done.stdout
    assert again.stdout.strip().splitlines()[-1] == replay
