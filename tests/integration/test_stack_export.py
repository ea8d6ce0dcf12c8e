"""`fake export --stack` output deploys with `docker stack deploy` on a single-node swarm and meshes.

The swarm is made (labelled, and left at the end) only where the engine is in none; the stack,
its tasks, network and per-slot volumes are all removed.
"""

import json
import os
import subprocess

import docker
import pytest
import yaml

from fakenet import kinds
from fakenet.harness.backends import swarm
from fakenet.harness.waits import wait_for
from fakenet.stack import write

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.one_worker("swarm")]  # the engine's swarm membership
NODES = 3


def stack_containers(client, name):
    return client.containers.list(all=True, ignore_removed=True, filters={"label": f"com.docker.stack.namespace={name}"})


def peers(container) -> int:
    code, output = container.exec_run(["cli", "-getinfo"])
    if code != 0:
        raise OSError(output.decode(errors="replace")[-200:])  # still starting: poll again
    return json.loads(output)["connections"]["total"]


def on_this_engine(path, node_id):
    """Pin every service to this engine's swarm node. The export leaves placement to the swarm, as a
    user's does; but another worker's hosts-backend test may have joined a second engine to this
    swarm meanwhile, and a task placed there is out of reach of this test's `exec` probes."""
    stack = yaml.safe_load(path.read_text())
    for service in stack["services"].values():
        service.setdefault("deploy", {}).setdefault("placement", {})["constraints"] = [f"node.id == {node_id}"]
    path.write_text(yaml.safe_dump(stack, sort_keys=False))


@pytest.fixture
def single_node_swarm():
    client = docker.from_env()
    with swarm.swarm_lock(client):
        swarm.ensure(client, [])
    yield client
    with swarm.swarm_lock(client):
        swarm.release(client, [])
    client.close()


def test_exported_stack_deploys_on_a_swarm_and_the_nodes_mesh(single_node_swarm, tmp_path):
    client, name = single_node_swarm, "fnstack" + os.urandom(3).hex()
    kind = kinds.get("fakenet")
    path = tmp_path / "stack.yml"
    write(path, kind, kind.image(lambda _line: None, client), NODES, project=f"{name}-test")
    on_this_engine(path, client.info()["Swarm"]["NodeID"])
    subprocess.run(["docker", "stack", "deploy", "-c", str(path), name], check=True, capture_output=True)
    try:
        wait_for(lambda: [peers(c) for c in stack_containers(client, name)],
                 lambda counts: counts == [NODES - 1] * NODES, timeout=60,
                 expected=f"{NODES} tasks, each with {NODES - 1} peers",
                 logs=lambda: [line for c in stack_containers(client, name)
                               for line in c.logs(tail=5).decode(errors="replace").splitlines()])
        hostnames = sorted(c.attrs["Config"]["Hostname"] for c in stack_containers(client, name))
        assert hostnames == [f"node-{slot}" for slot in range(1, NODES + 1)]
    finally:
        subprocess.run(["docker", "stack", "rm", name], check=True, capture_output=True)
        wait_for(lambda: stack_containers(client, name) + client.networks.list(names=[f"{name}_p2p"]),
                 lambda left: not left, timeout=60, expected=f"stack {name} removed")
        for volume in client.volumes.list(filters={"label": f"io.fakenet.project={name}-test"}):
            volume.remove(force=True)
    assert not client.volumes.list(filters={"label": f"io.fakenet.project={name}-test"})
