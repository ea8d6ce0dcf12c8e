"""Files added to fakenet get the CIDs `ipfs add` gives, checked against an implementation nobody
here wrote: Debian's `ipfs_cid` (rust-ipfs-unixfs, the same 256 KiB chunks and balanced layout as
Kubo). Sizes straddle a chunk and fill the one-level tree this node builds."""

import json
import os
import random
import shutil
import subprocess

import pytest
import requests

from support import local_nodes as local
from fakenet.node.cluster import unixfs

CHUNK = 256 * 1024
SIZES = [0, 1, 12, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 1_000_000, 174 * CHUNK - 1, 174 * CHUNK]
BODY_LIMIT = 4 * 1024 * 1024  # the node's default is 1 MiB; raised so /add takes files of 16 chunks


def reference_cid(path) -> str:
    tool = shutil.which("ipfs_cid")
    if tool is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs ipfs_cid (.ci/run installs Debian's ipfs-cid)")
        pytest.skip("no ipfs_cid (Debian's package ipfs-cid)")
    out = subprocess.run([tool, str(path)], capture_output=True, text=True, check=True, timeout=60).stdout
    return json.loads(out[:out.index("}") + 1])["CIDv0"]  # a JSON object, then the tool's statistics


def content(size: int) -> bytes:
    return random.Random(size).randbytes(size)


@pytest.mark.parametrize("size", SIZES)
def test_the_dag_builder_gives_the_reference_cid(tmp_path, size):
    path = tmp_path / "file"
    path.write_bytes(content(size))
    assert str(unixfs.build(content(size)).root) == reference_cid(path)


def test_files_added_over_the_cluster_api_get_the_reference_cid(tmp_path, start_nodes):
    [node] = start_nodes(local.full_mesh(tmp_path, 1, variables={"CLUSTER_BODY_LIMIT": str(BODY_LIMIT)}),
                         wait_peers=False)
    for size in (0, 5, CHUNK + 1, 16 * CHUNK - 1000):
        path = tmp_path / f"file-{size}"
        path.write_bytes(content(size))
        answer = requests.post(node.url("cluster") + "/add", auth=node.credentials,
                               files={"file": (path.name, content(size))}, timeout=30)
        assert answer.status_code == 200, answer.text
        assert json.loads(answer.text.splitlines()[0])["cid"] == reference_cid(path), f"{size} bytes"
