"""The node code's host copy (code_mounts) is bound into nodes only where the engine sees the copy's
folder as we do, asked of the real engine: here it does; from a mount namespace of our own, where
the folder is a tmpfs the engine's host never has (as a client in a container run with
`--network host`, the engine's host name but its own files), it does not, and no bind is made."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from fakenet import code_mounts

ASK = ("import json, sys, docker; from fakenet import code_mounts; "
       "print(json.dumps(code_mounts.copy_of(docker.from_env(), sys.argv[1])))")


def _copy(image_id: str, state_dir, *wrapper: str) -> dict:
    done = subprocess.run([*wrapper, sys.executable, "-c", ASK, image_id], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "FAKENET_STATE_DIR": str(state_dir)})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_an_engine_on_this_host_reads_the_token_back_and_the_code_is_copied(docker_client, node_image, tmp_path):
    image_id = docker_client.images.get(node_image).id
    binds = _copy(image_id, tmp_path)
    assert set(binds) == {"/opt/fakenet", "/usr/lib/python3.11"}, binds
    assert all(os.path.isdir(path) for path in binds.values())
    # This test's copy container, known by its bind of this test's folder (other runs copy the same image,
    # and remove their copy containers meanwhile: one gone between the listing and its inspect is not ours).
    left = docker_client.containers.list(all=True, filters={"label": "io.fakenet.project=fakenet-code"},
                                         ignore_removed=True)
    assert [c.name for c in left if any(str(tmp_path) in (m.get("Source") or "") for m in c.attrs.get("Mounts", []))] == []


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None, reason="a mount namespace needs root and unshare")
def test_a_folder_the_engine_cannot_see_gets_no_binds(docker_client, node_image, tmp_path):
    image_id = docker_client.images.get(node_image).id
    (tmp_path / "code").mkdir()
    # The copy's folder is made on a tmpfs mounted in a namespace of this process alone: the engine's
    # host has the path (an empty folder), never the token written there.
    binds = _copy(image_id, tmp_path, "unshare", "--mount", "--propagation", "private", "sh", "-c",
                  f'mount -t tmpfs tmpfs "{tmp_path / "code"}" && exec "$0" "$@"')
    assert binds == {}, "a bind of a folder the engine's host does not have would fail every node's create"
