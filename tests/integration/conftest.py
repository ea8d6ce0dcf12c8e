import docker
import pytest

from support import local_nodes as local
from support.long_first import longest_first
from support.shared_fixtures import write_groups
from fakenet.harness.waits import wait_for


class LocalMesh(list):
    """A started list of LocalNode with the waits these tests keep needing."""

    def logs(self):
        return [line for node in self for line in node.logs(8)]

    def wait_peers(self, nodes=None, count=None, timeout=20):
        for node in nodes or self:
            want = len(node.peers) if count is None else count
            wait_for(node.rpc.getconnectioncount, lambda n, want=want: n == want, timeout=timeout,
                     expected=f"{node.name} has {want} peers", logs=self.logs)

    def wait_tip(self, height, nodes=None, timeout=20):
        nodes = nodes or self

        def tips():
            return {node.name: (node.rpc.getblockcount(), node.rpc.getbestblockhash()) for node in nodes}

        observed, _ = wait_for(tips, lambda t: len(set(t.values())) == 1 and next(iter(t.values()))[0] == height,
                               timeout=timeout, expected=f"every node at height {height} with one best hash",
                               logs=self.logs)
        return next(iter(observed.values()))[1]


def _node_starter():
    """A `start(nodes, wait_peers=True)` that starts a support.local_nodes mesh, and `close()` for
    every node it started, whatever happened."""
    started = []

    def start(nodes, wait_peers=True):
        mesh = LocalMesh(nodes)
        for node in mesh:
            node.start()
            started.append(node)
        for node in mesh:
            node.wait_ready()
        if wait_peers:
            mesh.wait_peers()
        return mesh

    def close():
        for node in started:
            node.close()

    return start, close


@pytest.fixture
def start_nodes(tmp_path):
    """Start nodes built by support.local_nodes; kill them all at teardown, whatever happened."""
    start, close = _node_starter()
    yield start
    close()


@pytest.fixture(scope="module")
def start_shared_nodes():
    """start_nodes for one module's tests that change nothing a later test reads on the nodes (each
    request is refused, only reads, or adds content-addressed blocks nobody else asks about). A node
    costs ~0.45 CPU s over its life (start, the imports it defers, teardown); shared, a module pays
    that once per stretch of its tests on an xdist worker instead of once per test. A request that broke a
    shared node still fails its own test, and every test after it."""
    start, close = _node_starter()
    yield start
    close()


@pytest.fixture
def mesh4(tmp_path, start_nodes):
    return start_nodes(local.full_mesh(tmp_path, 4))


@pytest.fixture(scope="module")
def docker_client():
    """The engine, or a skip where there is none (the plugin turns that into a failure under CI)."""
    try:
        engine = docker.from_env()
        engine.ping()
    except docker.errors.DockerException as err:
        pytest.skip(f"no container engine: {err}")
    return engine


@pytest.fixture(scope="module")
def node_image(docker_client):
    """The node image for this tree: built on first use (a minute from nothing), then reused."""
    from fakenet.image import ensure_image

    return ensure_image(progress=lambda line: None, client=docker_client)


def pytest_collection_modifyitems(config, items):
    """The suite's longest items first, so no worker ends the run alone (support/long_first.py);
    the items that share a module-scoped fixture go to one worker (support/shared_fixtures.py)."""
    longest_first(items)
    write_groups(config, items)
