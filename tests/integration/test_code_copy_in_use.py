"""The node code's host copy (fakenet/code_mounts.py) against a real engine: `fake prune` keeps a copy
a container mounts, running or stopped; a node whose copy is removed anyway ends in one line."""

import contextlib
import shutil
import socket
from urllib.parse import urlsplit

import docker
import pytest

from fakenet import Network, code_mounts
from fakenet.harness.waits import wait_for
from fakenet.labels import PROJECT_LABEL, RUN_LABEL
from fakenet.node import code_gone

pytestmark = pytest.mark.docker


@pytest.fixture
def code_root(tmp_path, monkeypatch):
    """Copies in a folder of this test's own: the checkout's are other runs'."""
    root = tmp_path / "code"
    monkeypatch.setattr(code_mounts, "code_root", lambda: root)
    return root


def _needs_binds(client):
    if not code_mounts.engine_shares_host(code_mounts.engine_reads.of(client)):
        pytest.skip("this engine does not bind the node code from the host (not fuse-overlayfs here)")


def test_prune_keeps_a_copy_a_running_or_stopped_container_mounts(code_root, tmp_path):
    client = docker.from_env()
    image = client.images.list(filters={"label": "io.fakenet.image=node"})[0]
    copy = code_root / "0000deadbeef0000"  # no image has this id: prune would take it
    (copy / "fakenet").mkdir(parents=True)
    labels = {PROJECT_LABEL: "fakenet-test", RUN_LABEL: tmp_path.name[-10:]}
    mount = docker.types.Mount("/opt/kept", str(copy / "fakenet"), type="bind", read_only=True)
    container = client.containers.create(image.id, command=["sleep", "300"], labels=labels, mounts=[mount],
                                         name=f"fakenet-test-{tmp_path.name[-10:]}-keeper")
    try:
        assert code_mounts.prune(client) == ([], {copy.name: [f"{container.name} (created)"]})
        container.start()
        assert code_mounts.prune(client) == ([], {copy.name: [f"{container.name} (running)"]})
        assert (copy / "fakenet").is_dir()
    finally:
        container.remove(force=True, v=True)  # its anonymous /data volume (the image declares VOLUME) too
    assert code_mounts.prune(client) == ([copy.name], {})
    assert not copy.exists()


def test_a_node_whose_code_copy_is_removed_logs_one_line_naming_it_and_exits(code_root):
    client = docker.from_env()
    _needs_binds(client)
    with Network(2, backend="docker") as net:
        runtime = net.runtime("node2")
        (copy,) = [folder for folder in code_root.iterdir() if folder.is_dir()]
        shutil.rmtree(copy)  # a user's `rm -rf .cache` while the nodes run
        api = urlsplit(runtime.url("api"))
        with contextlib.ExitStack() as held:
            try:  # a first connection loads the HTTP apps: imports
                held.enter_context(socket.create_connection((api.hostname, api.port), timeout=10))
            except OSError:  # ended already (No route to host): an import of its own found the copy gone first
                pass
            wait_for(lambda: client.containers.get(runtime.container.id).status, lambda status: status == "exited",
                     timeout=60, expected="node2 ended", logs=lambda: runtime.logs(5))
        state = client.containers.get(runtime.container.id).attrs["State"]
        logged = client.containers.get(runtime.container.id).logs().decode(errors="replace")
        ending = runtime.ended()  # what a failed step's verdict is made of: not the node's own failure
    assert ending is not None and ending.outside and "code_gone" in ending.sentence(), ending
    assert state["ExitCode"] == code_gone.EXIT_CODE, logged[-2000:]
    gone = [line for line in logged.splitlines() if "code_gone" in line]
    assert len(gone) == 1 and "path=/opt/fakenet/" in gone[0], logged[-2000:]
    assert "Traceback" not in logged, logged[-2000:]
